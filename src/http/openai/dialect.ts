import type { StreamChunk } from '../../canonical/index.js';
import type { GatewayError } from '../../errors.js';
import type { ChatDialect, EmbeddingsDialect, WireError } from '../../pipeline/dialect.js';
import { errorHeaders, httpStatusOf, openAIErrorBody } from '../errors.js';
import { parseChatCompletionRequest } from './parse-chat.js';
import { parseEmbeddingsRequest } from './parse-embeddings.js';
import { renderChatCompletion, renderChunk, renderEmbeddings, renderUsageChunk } from './render.js';
import { responseAsSse } from './replay.js';

const DONE = 'data: [DONE]\n\n';

export function openAIError(err: GatewayError): WireError {
  return { status: httpStatusOf(err), body: JSON.stringify(openAIErrorBody(err)), headers: errorHeaders(err) };
}

/** A chunk with no choices is the provider's usage report: held back until the request is settled. */
function isUsageOnly(chunk: StreamChunk): boolean {
  return chunk.choices.length === 0;
}

/** OpenAI Chat Completions: chat.completion bodies and chat.completion.chunk SSE, the OpenAI error shape. */
export const openAIChat: ChatDialect = {
  endpoint: 'chat.completions',
  parse: (body) => parseChatCompletionRequest(body),
  identity: (requestId, startedAt, model) => ({ id: `chatcmpl-${requestId}`, created: Math.floor(startedAt / 1000), model }),
  response: (resp, usage) => renderChatCompletion(resp, usage),
  openStream: (req, ident) => ({
    // Chunks that arrived in OpenAI's own format are sent as received.
    chunk: (chunk) => (isUsageOnly(chunk) ? '' : `data: ${chunk.openaiRaw ?? renderChunk(chunk, ident)}\n\n`),
    end: (usage, report) => (req.includeUsage && usage ? `data: ${renderUsageChunk(usage, ident, { x_tollgate: report })}\n\n${DONE}` : DONE),
    // The OpenAI SDKs raise an error event that arrives inside a stream.
    error: (err) => `data: ${JSON.stringify(openAIErrorBody(err))}\n\n`,
  }),
  replay: (req, resp, usage, ident, report) => responseAsSse(resp, ident, req.includeUsage ? usage : undefined, { x_tollgate: report }),
  error: openAIError,
};

export const openAIEmbeddings: EmbeddingsDialect = {
  endpoint: 'embeddings',
  parse: (body) => parseEmbeddingsRequest(body),
  response: (resp, req, upstreamModel) => renderEmbeddings(resp, req.encodingFormat, upstreamModel),
  error: openAIError,
};
