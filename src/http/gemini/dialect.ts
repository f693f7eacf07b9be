import type { ChatDialect } from '../../pipeline/dialect.js';
import { replayThrough } from '../stream-replay.js';
import { geminiError } from './errors.js';
import { parseGenerateContent } from './parse.js';
import { candidateOf, renderUsageMetadata, responseEnvelope } from './render.js';
import { GeminiStreamEncoder, type Framing } from './stream.js';

/**
 * Gemini generateContent / streamGenerateContent, the model named in the path. `framing` is how
 * a stream is written: SSE for `?alt=sse`, else one JSON array (the listener picks the dialect).
 */
export function geminiDialect(framing: Framing): ChatDialect {
  return {
    endpoint: 'gemini.generateContent',
    ...(framing.contentType ? { streamContentType: framing.contentType } : {}),
    parse: (body, path) => parseGenerateContent(body, path),
    identity: (requestId, startedAt, model) => ({ id: requestId, created: Math.floor(startedAt / 1000), model }),
    response: (resp, usage, ident) =>
      JSON.stringify(responseEnvelope(ident, { candidates: resp.choices.map(candidateOf), usageMetadata: renderUsageMetadata(usage) })),
    openStream: (_req, ident) => new GeminiStreamEncoder(ident, framing),
    replay: (_req, resp, usage, ident, report) => replayThrough(new GeminiStreamEncoder(ident, framing), resp, usage, report),
    error: geminiError,
  };
}
