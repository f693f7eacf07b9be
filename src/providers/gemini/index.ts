import type { ProviderAdapter } from '../types.js';
import { buildGeminiEmbeddingsRequest, parseGeminiEmbeddingsResponse } from './embeddings.js';
import { GEMINI, geminiHeaders } from './endpoint.js';
import { parseGeminiError } from './errors.js';
import { geminiChatRequest } from './request.js';
import { parseGeminiChatResponse } from './response.js';
import { GeminiStreamDecoder } from './stream.js';

export const gemini: ProviderAdapter = {
  kind: 'gemini',
  displayName: GEMINI,
  defaultBaseUrl: 'https://generativelanguage.googleapis.com/v1beta',
  chat: {
    buildRequest: geminiChatRequest,
    parseResponse: parseGeminiChatResponse,
    createStreamDecoder: () => new GeminiStreamDecoder(),
  },
  embeddings: {
    buildRequest: buildGeminiEmbeddingsRequest,
    parseResponse: parseGeminiEmbeddingsResponse,
  },
  parseError: parseGeminiError,
  connectionCheck: ({ key }) => ({ method: 'GET', path: '/models', headers: geminiHeaders(key.secret, false) }),
};
