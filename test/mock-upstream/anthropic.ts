import { answer, countWords, splitInto, streamPieces, type MockAnswer, type MockTurn } from './content.js';
import { bearer, REJECTED_KEYS, sendError, sendJson, sendSse, type MockExchange, type ProviderSimulator } from './exchange.js';
import type { Fault } from './faults.js';
import { API_VERSIONS, blocksOf, validateMessagesBody, type WireBlock, type WireBody } from './anthropic-validate.js';

/**
 * Anthropic Messages API (POST /v1/messages, JSON and SSE) and GET /v1/models. Auth is
 * `x-api-key` (or `Authorization: Bearer`, which the 2026-10-21 SDKs send); every request needs an
 * `anthropic-version` header. Errors use Anthropic's body { type: 'error', error: { type, message } }.
 * With `thinking` enabled the answer starts with a thinking block; `output_config.format` asks for
 * JSON like OpenAI's response_format. `[[cache_write:N]]` in a prompt that sets a cache_control
 * breakpoint reports N cache-write tokens; POST /v1/messages/count_tokens counts a prompt.
 */

const ERROR_TYPES: Record<number, [string, string]> = {
  400: ['invalid_request_error', 'Invalid request'],
  401: ['authentication_error', 'invalid x-api-key'],
  403: ['permission_error', 'Your API key does not have permission to use the specified resource.'],
  404: ['not_found_error', 'Not found'],
  413: ['request_too_large', 'Request exceeds the maximum allowed number of bytes.'],
  429: ['rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit'],
  500: ['api_error', 'Internal server error'],
  529: ['overloaded_error', 'Overloaded'],
};

let seq = 0;
const nextId = (prefix: string) => `${prefix}${(seq = (seq + 1) % 1e9).toString(36).padStart(10, '0')}mock`;

function errorBody(status: number, message?: string) {
  const [type, text] = ERROR_TYPES[status] ?? ['api_error', `Mock error ${status}`];
  return { type: 'error', error: { type, message: message ?? text }, request_id: nextId('req_') };
}

function failWith(ex: MockExchange, status: number, message?: string, retryAfter?: number) {
  const headers: Record<string, string> = { 'request-id': nextId('req_') };
  if (status === 429) headers['anthropic-ratelimit-requests-remaining'] = '0';
  return sendError(ex, status, errorBody(status, message), retryAfter, headers);
}

/** Auth and version headers; answers the error itself and returns false when they are wrong. */
function checkHeaders(ex: MockExchange): boolean {
  const key = (ex.headers['x-api-key'] as string | undefined) ?? bearer(ex.headers);
  if (!key || REJECTED_KEYS.has(key)) {
    void failWith(ex, 401, key ? 'invalid x-api-key' : 'x-api-key header is required');
    return false;
  }
  const version = ex.headers['anthropic-version'] as string | undefined;
  if (!version || !API_VERSIONS.has(version)) {
    void failWith(ex, 400, version ? `anthropic-version: "${version}" is not a valid version` : 'anthropic-version: header is required');
    return false;
  }
  return true;
}

function textOf(blocks: WireBlock[], withToolResults: boolean): string {
  const out: string[] = [];
  for (const b of blocks) {
    if (b.type === 'text') out.push(String(b.text));
    else if (b.type === 'tool_result' && withToolResults) out.push(typeof b.content === 'string' ? b.content : textOf(Array.isArray(b.content) ? b.content : [], false));
  }
  return out.join(' ');
}

function turnOf(b: WireBody): MockTurn {
  const msgs = b.messages ?? [];
  const last = blocksOf(msgs.at(-1));
  const lastIsUser = msgs.at(-1)?.role === 'user';
  const lastIsToolResult = lastIsUser && last.some((x) => x.type === 'tool_result');
  const system = typeof b.system === 'string' ? b.system : (b.system ?? []).map((s) => s.text ?? '').join('\n');
  const tc = b.tool_choice;
  const format = b.output_config?.format;
  return {
    promptText: [system, ...msgs.map((m) => textOf(blocksOf(m), true))].filter(Boolean).join('\n'),
    lastUserText: lastIsUser ? textOf(last, false) : '',
    lastIsToolResult,
    toolResultText: lastIsToolResult ? textOf(last.filter((x) => x.type === 'tool_result'), true) : '',
    imageCount: msgs.reduce((n, m) => n + blocksOf(m).filter((x) => x.type === 'image').length, 0),
    tools: (b.tools ?? []).map((t) => ({ name: t.name ?? 'tool', schema: t.input_schema })),
    toolChoice: tc?.type === 'any' ? 'required' : tc?.type === 'tool' ? (tc.name ?? 'auto') : (tc?.type ?? 'auto'),
    json: format?.type === 'json_schema' ? { schema: format.schema ?? {} } : 'none',
    maxTokens: b.max_tokens as number,
    stop: b.stop_sequences,
  };
}

interface Reply {
  a: MockAnswer;
  /** Prompt tokens written to the prompt cache: `[[cache_write:N]]`, honoured only when the body sets a cache_control breakpoint. */
  cacheWrite: number;
  thinking?: string;
  stopReason: string;
  stopSequence: string | null;
}

function reply(b: WireBody): Reply {
  const turn = turnOf(b);
  const a = answer(turn, 'toolu_');
  let stopReason = a.finish === 'tool_calls' ? 'tool_use' : a.finish === 'length' ? 'max_tokens' : 'end_turn';
  let stopSequence: string | null = null;
  if (stopReason === 'end_turn' && turn.stop?.length) {
    const full = answer({ ...turn, stop: undefined }).text;
    stopSequence = turn.stop.find((s) => full.includes(s)) ?? null;
    if (stopSequence !== null) stopReason = 'stop_sequence';
  }
  const thinking = b.thinking?.type === 'enabled' ? `Mock reasoning about: ${turn.lastUserText || 'the tool result'}` : undefined;
  const write = /\[\[cache_write:(\d+)\]\]/.exec(turn.promptText);
  const cacheWrite = write && JSON.stringify(b).includes('"cache_control"') ? Math.min(Number(write[1]), a.promptTokens - a.cachedTokens) : 0;
  return { a, cacheWrite, thinking, stopReason, stopSequence };
}

function usageOf(r: Reply, outputOnly = false) {
  const thinking = r.thinking ? countWords(r.thinking) : 0;
  const output = { output_tokens: r.a.completionTokens + thinking, ...(thinking ? { output_tokens_details: { thinking_tokens: thinking } } : {}) };
  if (outputOnly) return output;
  return {
    input_tokens: r.a.promptTokens - r.a.cachedTokens - r.cacheWrite,
    cache_creation_input_tokens: r.cacheWrite,
    cache_read_input_tokens: r.a.cachedTokens,
    ...output,
    service_tier: 'standard',
  };
}

function contentOf(r: Reply): Record<string, unknown>[] {
  const content: Record<string, unknown>[] = [];
  if (r.thinking) content.push({ type: 'thinking', thinking: r.thinking, signature: 'bW9jay1zaWduYXR1cmU=' });
  if (r.a.toolCalls.length === 0) content.push({ type: 'text', text: r.a.text });
  for (const c of r.a.toolCalls) content.push({ type: 'tool_use', id: c.id, name: c.name, input: JSON.parse(c.arguments) });
  return content;
}

function message(b: WireBody, r: Reply) {
  return {
    id: nextId('msg_'),
    type: 'message',
    role: 'assistant',
    model: b.model,
    content: contentOf(r),
    stop_reason: r.stopReason,
    stop_sequence: r.stopSequence,
    usage: usageOf(r),
  };
}

const event = (type: string, data: Record<string, unknown>) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;

/** The event sequence the real API sends: text in word-sized deltas, tool input in several pieces. */
function streamEvents(b: WireBody, r: Reply): string[] {
  const start = { ...message(b, r), content: [], stop_reason: null, stop_sequence: null, usage: { ...usageOf(r), output_tokens: 1 } };
  const events = [event('message_start', { message: start })];
  contentOf(r).forEach((block, index) => {
    const empty = block.type === 'thinking' ? { type: 'thinking', thinking: '', signature: '' } : block.type === 'text' ? { type: 'text', text: '' } : { ...block, input: {} };
    events.push(event('content_block_start', { index, content_block: empty }));
    if (index === 0) events.push(event('ping', {}));
    if (block.type === 'thinking') {
      for (const piece of streamPieces(String(block.thinking))) events.push(event('content_block_delta', { index, delta: { type: 'thinking_delta', thinking: piece } }));
      events.push(event('content_block_delta', { index, delta: { type: 'signature_delta', signature: block.signature } }));
    } else if (block.type === 'text') {
      for (const piece of streamPieces(String(block.text))) events.push(event('content_block_delta', { index, delta: { type: 'text_delta', text: piece } }));
    } else {
      for (const piece of ['', ...splitInto(JSON.stringify(block.input), 3)]) {
        events.push(event('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: piece } }));
      }
    }
    events.push(event('content_block_stop', { index }));
  });
  events.push(event('message_delta', { delta: { stop_reason: r.stopReason, stop_sequence: r.stopSequence }, usage: usageOf(r, true) }));
  events.push(event('message_stop', {}));
  return events;
}

async function stream(ex: MockExchange, events: string[], fault: Fault | undefined, headers: Record<string, string>) {
  if (fault?.type !== 'stream_error') return sendSse(ex, events, fault, headers);
  const err = errorBody(fault.status, fault.message);
  return sendSse(ex, [...events.slice(0, fault.afterEvents), event('error', { error: err.error })], undefined, headers);
}

async function messages(ex: MockExchange) {
  const b = (ex.body ?? {}) as WireBody;
  const fault = ex.takeFault(typeof b.model === 'string' ? b.model : '');
  if (fault?.type === 'status') return failWith(ex, fault.status, fault.message, fault.retryAfter);
  if (!checkHeaders(ex)) return;
  if (ex.body === undefined || typeof ex.body !== 'object' || Array.isArray(ex.body)) return failWith(ex, 400, 'The request body is not valid JSON.');
  const problem = validateMessagesBody(b, ex.headers['anthropic-version'] as string);
  if (problem) return failWith(ex, 400, problem);
  const r = reply(b);
  const headers = { 'request-id': nextId('req_') };
  if (b.stream) return stream(ex, streamEvents(b, r), fault, headers);
  return sendJson(ex, 200, message(b, r), fault, headers);
}

/** POST /v1/messages/count_tokens: the prompt's mock token count (words, 85 per image), free of generation fields. */
async function countTokens(ex: MockExchange) {
  const b = (ex.body ?? {}) as WireBody;
  const fault = ex.takeFault(typeof b.model === 'string' ? b.model : '');
  if (fault?.type === 'status') return failWith(ex, fault.status, fault.message, fault.retryAfter);
  if (!checkHeaders(ex)) return;
  for (const k of ['max_tokens', 'stream', 'metadata', 'stop_sequences', 'temperature', 'top_p', 'top_k']) {
    if (b[k] !== undefined) return failWith(ex, 400, `${k}: Extra inputs are not permitted`);
  }
  if (typeof b.model !== 'string' || !Array.isArray(b.messages)) return failWith(ex, 400, 'model and messages are required');
  const turn = turnOf(b);
  return sendJson(ex, 200, { input_tokens: countWords(turn.promptText) + turn.imageCount * 85 }, fault, { 'request-id': nextId('req_') });
}

const MODELS = [
  { id: 'claude-sonnet-4-5', display_name: 'Claude Sonnet 4.5', created_at: '2025-09-29T00:00:00Z' },
  { id: 'claude-haiku-4-5', display_name: 'Claude Haiku 4.5', created_at: '2025-10-01T00:00:00Z' },
];

function models(ex: MockExchange) {
  if (!checkHeaders(ex)) return;
  const data = MODELS.map((m) => ({ type: 'model', ...m }));
  return sendJson(ex, 200, { data, has_more: false, first_id: data[0]!.id, last_id: data.at(-1)!.id });
}

export const anthropicSimulator: ProviderSimulator = async (ex) => {
  if (ex.method === 'POST' && ex.path === '/v1/messages') return messages(ex);
  if (ex.method === 'POST' && ex.path === '/v1/messages/count_tokens') return countTokens(ex);
  if (ex.method === 'GET' && ex.path === '/v1/models') return models(ex);
  return failWith(ex, 404, `${ex.method} ${ex.path}: not found`);
};
