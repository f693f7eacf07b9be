import type { EmbeddingsRequest, EmbeddingsResponse } from '../../canonical/index.js';
import { UnsupportedParameterError } from '../../errors.js';
import { malformedResponse, tryParseJson } from '../shared/errors.js';
import type { UpstreamHttpRequest, UpstreamTarget } from '../types.js';
import { GEMINI, geminiHeaders, modelResource } from './endpoint.js';

interface WireBatchEmbeddings {
  embeddings?: { values?: number[] }[];
}

/**
 * Embeddings through batchEmbedContents: one request per input text, each naming the model as
 * the URL does. `dimensions` → outputDimensionality. `user` is for the gateway's own log.
 */
export function buildGeminiEmbeddingsRequest(req: EmbeddingsRequest, target: UpstreamTarget): UpstreamHttpRequest {
  if (req.tokenInput) throw new UnsupportedParameterError('input', GEMINI, 'token-id arrays are OpenAI-only; send text');
  if (req.extra) for (const k in req.extra) throw new UnsupportedParameterError(k, GEMINI);
  const model = modelResource(target.model.upstreamModel);
  const requests = req.input.map((text) => {
    const r: Record<string, unknown> = { model, content: { parts: [{ text }] } };
    if (req.dimensions !== undefined) r.outputDimensionality = req.dimensions;
    return r;
  });
  return { method: 'POST', path: `/${model}:batchEmbedContents`, headers: geminiHeaders(target.key.secret), body: JSON.stringify({ requests }) };
}

/** Gemini reports no token usage for embeddings: promptTokens 0 tells the gateway to estimate. */
export function parseGeminiEmbeddingsResponse(text: string, target: UpstreamTarget, req: EmbeddingsRequest): EmbeddingsResponse {
  const body = tryParseJson(text) as WireBatchEmbeddings | undefined;
  if (!body || !Array.isArray(body.embeddings)) throw malformedResponse(GEMINI, 'expected an embeddings array');
  if (body.embeddings.length !== req.input.length) {
    throw malformedResponse(GEMINI, `expected ${req.input.length} embeddings, got ${body.embeddings.length}`);
  }
  return {
    model: target.model.upstreamModel,
    data: body.embeddings.map((e, index) => {
      if (!Array.isArray(e?.values)) throw malformedResponse(GEMINI, `embeddings[${index}] has no values`);
      return { index, embedding: e.values };
    }),
    usage: { promptTokens: 0 },
  };
}
