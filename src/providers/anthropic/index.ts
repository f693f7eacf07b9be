import type { ProviderAdapter } from '../types.js';
import { anthropicCountTokensRequest, parseAnthropicCountTokens } from './count-tokens.js';
import { parseAnthropicError } from './errors.js';
import { anthropicChatRequest, anthropicHeaders } from './request.js';
import { parseAnthropicResponse } from './response.js';
import { AnthropicStreamDecoder } from './stream.js';

/** Anthropic Messages API. Anthropic has no embeddings API. */
export const anthropic: ProviderAdapter = {
  kind: 'anthropic',
  displayName: 'Anthropic',
  defaultBaseUrl: 'https://api.anthropic.com/v1',
  chat: {
    buildRequest: anthropicChatRequest,
    parseResponse: (body) => parseAnthropicResponse(body),
    // JSON mode is the gateway's forced tool only when it built the body; a forwarded body asks Anthropic for JSON text itself.
    createStreamDecoder: (_target, req) =>
      new AnthropicStreamDecoder(req.wire?.format !== 'anthropic' && req.responseFormat !== undefined && req.responseFormat.type !== 'text'),
  },
  countTokens: { buildRequest: anthropicCountTokensRequest, parseResponse: parseAnthropicCountTokens },
  parseError: parseAnthropicError,
  connectionCheck: ({ key }) => ({ method: 'GET', path: '/models', headers: anthropicHeaders(key.secret) }),
};
