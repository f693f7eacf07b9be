import type { ChatResponse, ChatRequest, Usage } from '../../canonical/index.js';
import type { ChatDialect, StreamIdentity } from '../../pipeline/dialect.js';
import { openAIError } from '../openai/dialect.js';
import { replayThrough } from '../stream-replay.js';
import { parseResponsesRequest } from './parse.js';
import { callItem, callItemId, endingOf, messageItem, messageItemId, reasoningItem, reasoningItemId, refusalPart, renderResponse, textPart, type ContentPart } from './render.js';
import { ResponsesStreamEncoder } from './stream.js';

/**
 * The whole answer as a Response object: the first choice's reasoning as a reasoning item (when
 * the client asked for a summary and the provider reasoned), its text (and refusal) as one message
 * item, then one function_call item per tool call. Always rendered from the canonical answer: an
 * OpenAI provider's raw chat completion is another wire format.
 */
function renderComplete(resp: ChatResponse, usage: Usage, ident: StreamIdentity, req: ChatRequest): string {
  const c = resp.choices.find((x) => x.index === 0) ?? resp.choices[0];
  const ending = endingOf(c?.finishReason);
  const itemStatus = ending.status === 'incomplete' ? 'incomplete' : 'completed';
  const output: Record<string, unknown>[] = [];
  const thoughts = req.params.reasoningSummary ? (c?.thinking ?? []).flatMap((t) => (t.type === 'thinking' ? [t.thinking] : [])) : [];
  if (thoughts.length) output.push(reasoningItem(reasoningItemId(ident), thoughts, itemStatus));
  const parts: ContentPart[] = [];
  if (c?.text || (c && !c.toolCalls?.length && !c.refusal)) parts.push(textPart(c.text ?? ''));
  if (c?.refusal) parts.push(refusalPart(c.refusal));
  if (parts.length) output.push(messageItem(messageItemId(ident, 0), parts, itemStatus));
  c?.toolCalls?.forEach((t, i) => output.push(callItem(callItemId(ident, i), t, itemStatus)));
  return JSON.stringify(renderResponse(ident, req, { status: ending.status, output, usage, incompleteReason: ending.reason }));
}

/** OpenAI Responses (POST /v1/responses), stateless: Response objects, the Responses event stream, the OpenAI error shape. */
export const openAIResponses: ChatDialect = {
  endpoint: 'responses',
  parse: (body) => parseResponsesRequest(body),
  identity: (requestId, startedAt, model) => ({ id: `resp_${requestId}`, created: Math.floor(startedAt / 1000), model }),
  response: renderComplete,
  openStream: (req, ident) => new ResponsesStreamEncoder(req, ident),
  replay: (req, resp, usage, ident, report) => replayThrough(new ResponsesStreamEncoder(req, ident), resp, usage, report),
  error: openAIError,
};
