import type { CountTokensDialect } from '../../pipeline/dialect.js';
import { anthropicError } from './errors.js';
import { parseMessagesRequest } from './parse.js';

/** POST /v1/messages/count_tokens: a Messages body without max_tokens in, { input_tokens } out. */
export const anthropicCountTokens: CountTokensDialect = {
  endpoint: 'messages.count_tokens',
  parse: (body, _path, headers) => parseMessagesRequest(body, headers, { countTokens: true }),
  response: (inputTokens) => JSON.stringify({ input_tokens: inputTokens }),
  error: anthropicError,
};
