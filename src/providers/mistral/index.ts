import { createHash } from 'node:crypto';
import { UnsupportedParameterError } from '../../errors.js';
import type { OpenAIDialect } from '../openai/dialect.js';
import { parseOpenAIEmbeddingsResponse } from '../openai/embeddings.js';
import { parseOpenAIFormatError } from '../openai/errors.js';
import { openAIChatRequest } from '../openai/request.js';
import { parseOpenAIChatResponse } from '../openai/response.js';
import { OpenAIStreamDecoder } from '../openai/stream.js';
import type { ParamTable } from '../shared/params.js';
import type { ProviderAdapter } from '../types.js';

const MISTRAL_PARAMS: ParamTable = {
  maxTokens: { to: 'max_tokens', min: 1 },
  temperature: { to: 'temperature', min: 0, max: 2 },
  topP: { to: 'top_p', min: 0, max: 1 },
  stop: { to: 'stop' },
  n: { to: 'n', min: 1 },
  seed: { to: 'random_seed' },
  presencePenalty: { to: 'presence_penalty', min: -2, max: 2 },
  frequencyPenalty: { to: 'frequency_penalty', min: -2, max: 2 },
  logitBias: { unsupported: true },
  logprobs: { unsupported: (v: boolean) => (v ? 'Mistral does not return log probabilities' : undefined) },
  topLogprobs: { unsupported: 'Mistral does not return log probabilities' },
  user: { consumed: true },
  reasoningEffort: { unsupported: 'use a Magistral model; Mistral has no reasoning_effort setting' },
  thinkingBudget: { unsupported: 'use a Magistral model; Mistral has no thinking budget' },
  topK: { unsupported: true },
  reasoningSummary: { unsupported: 'Mistral returns no reasoning summary' },
  parallelToolCalls: { to: 'parallel_tool_calls' },
};

/** Mistral accepts only tool-call ids of exactly nine letters and digits. */
function mistralToolCallId(id: string): string {
  return /^[A-Za-z0-9]{9}$/.test(id) ? id : createHash('sha256').update(id).digest('hex').slice(0, 9);
}

export const MISTRAL_DIALECT: OpenAIDialect = {
  name: 'Mistral',
  params: MISTRAL_PARAMS,
  passthrough: false,
  maxTokensField: 'max_tokens',
  // Mistral reports usage on the last chunk of every stream without being asked.
  streamUsageOption: false,
  extras: new Set(['safe_prompt', 'prompt_mode', 'prediction']),
  requiredToolChoice: 'any',
  toolCallId: mistralToolCallId,
  finishReasons: { model_length: 'length', error: 'stop' },
};

export const mistral: ProviderAdapter = {
  kind: 'mistral',
  displayName: 'Mistral',
  defaultBaseUrl: 'https://api.mistral.ai/v1',
  chat: {
    buildRequest: (req, target) => openAIChatRequest(req, target, MISTRAL_DIALECT),
    parseResponse: (body) => parseOpenAIChatResponse(body, MISTRAL_DIALECT),
    createStreamDecoder: () => new OpenAIStreamDecoder(MISTRAL_DIALECT),
  },
  embeddings: {
    buildRequest: (req, target) => {
      if (req.tokenInput) throw new UnsupportedParameterError('input', 'Mistral', 'token-id arrays are OpenAI-only; send text');
      if (req.extra) for (const k in req.extra) throw new UnsupportedParameterError(k, 'Mistral');
      const body: Record<string, unknown> = { model: target.model.upstreamModel, input: req.input };
      if (req.dimensions !== undefined) body.output_dimension = req.dimensions;
      return {
        method: 'POST',
        path: '/embeddings',
        headers: { authorization: `Bearer ${target.key.secret}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      };
    },
    parseResponse: (body) => parseOpenAIEmbeddingsResponse(body, 'Mistral'),
  },
  parseError: (status, body, headers) => parseOpenAIFormatError('Mistral', status, body, headers),
  connectionCheck: ({ key }) => ({ method: 'GET', path: '/models', headers: { authorization: `Bearer ${key.secret}` } }),
};
