import type { ChoiceDelta, StreamChunk } from '../../canonical/index.js';
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

/**
 * Nothing an OpenAI client is sent on its own: a chunk with no choices (the provider's usage
 * report, held back until the request is settled; another format's bookkeeping event), or one
 * whose choices carry only what OpenAI chunks have no field for (Anthropic thinking).
 */
function isUsageOnly(chunk: StreamChunk): boolean {
  if (chunk.choices.length === 0) return true;
  return chunk.raw?.format !== 'openai' && chunk.choices.every(silentForOpenAI);
}

function silentForOpenAI(d: ChoiceDelta): boolean {
  return !d.role && d.text === undefined && !d.toolCalls && d.refusal === undefined && !d.finishReason && d.logprobs === undefined;
}

/** OpenAI Chat Completions: chat.completion bodies and chat.completion.chunk SSE, the OpenAI error shape. */
export const openAIChat: ChatDialect = {
  endpoint: 'chat.completions',
  parse: (body) => parseChatCompletionRequest(body),
  identity: (requestId, startedAt, model) => ({ id: `chatcmpl-${requestId}`, created: Math.floor(startedAt / 1000), model }),
  response: (resp, usage) => renderChatCompletion(resp, usage),
  openStream: (req, ident) => ({
    // Chunks that arrived in OpenAI's own format are sent as received.
    chunk: (chunk) => (isUsageOnly(chunk) ? '' : `data: ${chunk.raw?.format === 'openai' ? chunk.raw.text : renderChunk(chunk, ident)}\n\n`),
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
