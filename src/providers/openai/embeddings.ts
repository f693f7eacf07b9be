import type { EmbeddingsRequest, EmbeddingsResponse } from '../../canonical/index.js';
import { malformedResponse, tryParseJson } from '../shared/errors.js';
import type { UpstreamHttpRequest, UpstreamTarget } from '../types.js';

interface WireEmbeddings {
  data?: { index?: number; embedding?: number[] | string }[];
  model?: string;
  usage?: { prompt_tokens?: number };
}

export function buildOpenAIEmbeddingsRequest(req: EmbeddingsRequest, target: UpstreamTarget, extrasAllowed: boolean): UpstreamHttpRequest {
  const body: Record<string, unknown> = {
    model: target.model.upstreamModel,
    input: req.tokenInput ?? (req.single ? req.input[0] : req.input),
  };
  if (req.encodingFormat) body.encoding_format = req.encodingFormat;
  if (req.dimensions !== undefined) body.dimensions = req.dimensions;
  if (req.user !== undefined) body.user = req.user;
  if (extrasAllowed && req.extra) Object.assign(body, req.extra);
  return {
    method: 'POST',
    path: '/embeddings',
    headers: { authorization: `Bearer ${target.key.secret}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  };
}

export function parseOpenAIEmbeddingsResponse(text: string, provider: string): EmbeddingsResponse {
  const body = tryParseJson(text) as WireEmbeddings | undefined;
  if (!body || !Array.isArray(body.data)) throw malformedResponse(provider, 'expected a data array of embeddings');
  return {
    model: body.model ?? '',
    data: body.data.map((d, i) => ({ index: d.index ?? i, embedding: d.embedding ?? [] })),
    usage: { promptTokens: body.usage?.prompt_tokens ?? 0 },
  };
}
