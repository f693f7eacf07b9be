import type { ProviderAdapter } from '../types.js';
import type { OpenAIDialect } from './dialect.js';
import { buildOpenAIEmbeddingsRequest, parseOpenAIEmbeddingsResponse } from './embeddings.js';
import { parseOpenAIFormatError } from './errors.js';
import { OPENAI_PARAMS } from './params.js';
import { openAIChatRequest } from './request.js';
import { parseOpenAIChatResponse } from './response.js';
import { OpenAIStreamDecoder } from './stream.js';

export const OPENAI_DIALECT: OpenAIDialect = {
  name: 'OpenAI',
  params: OPENAI_PARAMS,
  passthrough: true,
  maxTokensField: 'max_completion_tokens',
  streamUsageOption: true,
  extras: '*',
  requiredToolChoice: 'required',
};

export const openai: ProviderAdapter = {
  kind: 'openai',
  displayName: 'OpenAI',
  defaultBaseUrl: 'https://api.openai.com/v1',
  chat: {
    buildRequest: (req, target) => openAIChatRequest(req, target, OPENAI_DIALECT),
    parseResponse: (body) => parseOpenAIChatResponse(body, OPENAI_DIALECT),
    createStreamDecoder: () => new OpenAIStreamDecoder(OPENAI_DIALECT),
  },
  embeddings: {
    buildRequest: (req, target) => buildOpenAIEmbeddingsRequest(req, target, true),
    parseResponse: (body) => parseOpenAIEmbeddingsResponse(body, 'OpenAI'),
  },
  parseError: (status, body, headers) => parseOpenAIFormatError('OpenAI', status, body, headers),
  connectionCheck: ({ key }) => ({ method: 'GET', path: '/models', headers: { authorization: `Bearer ${key.secret}` } }),
};
