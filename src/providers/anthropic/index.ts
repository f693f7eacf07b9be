import type { ProviderAdapter } from '../types.js';
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
    createStreamDecoder: (_target, req) => new AnthropicStreamDecoder(req.responseFormat !== undefined && req.responseFormat.type !== 'text'),
  },
  parseError: parseAnthropicError,
  connectionCheck: ({ key }) => ({ method: 'GET', path: '/models', headers: anthropicHeaders(key.secret) }),
};
