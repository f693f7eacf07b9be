import { answer, embed, splitInto, streamPieces, type MockAnswer, type MockTurn } from './content.js';
import { bearer, REJECTED_KEYS, sendError, sendJson, sendSse, type MockExchange } from './exchange.js';

/**
 * OpenAI chat completions / embeddings / models, and Mistral's OpenAI-shaped variant of them.
 * The two differ in the details the gateway must get right: Mistral rejects fields it does not
 * know (stream_options, seed, logit_bias, the developer role) with a 422, wants tool-call ids of
 * nine alphanumerics, names the tool_choice "any", and reports usage on its last stream chunk
 * without being asked.
 */

type Dialect = 'openai' | 'mistral';

interface WireMessage {
  role?: string;
  content?: unknown;
  tool_calls?: { id?: string; function?: { name?: string; arguments?: string } }[];
  tool_call_id?: string;
}
interface WireBody {
  model?: unknown;
  messages?: WireMessage[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  max_tokens?: number;
  max_completion_tokens?: number;
  n?: number;
  stop?: string | string[];
  tools?: { function?: { name?: string; parameters?: Record<string, unknown> } }[];
  tool_choice?: unknown;
  response_format?: { type?: string; json_schema?: { schema?: Record<string, unknown> } };
  [k: string]: unknown;
}

const MISTRAL_FIELDS = new Set([
  'model', 'messages', 'temperature', 'top_p', 'max_tokens', 'stream', 'stop', 'random_seed', 'response_format', 'tools',
  'tool_choice', 'presence_penalty', 'frequency_penalty', 'n', 'safe_prompt', 'prompt_mode', 'prediction', 'parallel_tool_calls',
]);

function openaiError(status: number, message: string, type: string, code: string | null, param: string | null = null) {
  return { error: { message, type, param, code } };
}

function mistralError(message: unknown, type = 'invalid_request_error', code: string | null = null) {
  return { object: 'error', message, type, param: null, code };
}

const STATUS_TEXT: Record<number, [string, string]> = {
  400: ['Bad request', 'invalid_request_error'],
  401: ['Incorrect API key provided', 'invalid_request_error'],
  403: ['You are not allowed to access this resource', 'invalid_request_error'],
  404: ['The model does not exist or you do not have access to it.', 'invalid_request_error'],
  429: ['Rate limit reached for requests', 'requests'],
  500: ['The server had an error while processing your request. Sorry about that!', 'server_error'],
  502: ['Bad gateway.', 'server_error'],
  503: ['The engine is currently overloaded, please try again later', 'server_error'],
};

function failWith(ex: MockExchange, dialect: Dialect, status: number, message?: string, retryAfter?: number) {
  const [text, type] = STATUS_TEXT[status] ?? [`Mock error ${status}`, 'server_error'];
  const code = status === 429 ? 'rate_limit_exceeded' : status === 401 ? 'invalid_api_key' : null;
  const body = dialect === 'openai' ? openaiError(status, message ?? text, type, code) : mistralError(message ?? text, type, code);
  return sendError(ex, status, body, retryAfter, status === 429 ? { 'x-ratelimit-remaining-requests': '0' } : {});
}

function checkAuth(ex: MockExchange, dialect: Dialect): boolean {
  const key = bearer(ex.headers);
  if (!key || REJECTED_KEYS.has(key)) {
    const msg = key ? 'Incorrect API key provided.' : "You didn't provide an API key.";
    void sendError(ex, 401, dialect === 'openai' ? openaiError(401, msg, 'invalid_request_error', 'invalid_api_key') : { message: 'Unauthorized', request_id: 'mock' });
    return false;
  }
  return true;
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((p) => (p && typeof p === 'object' && 'text' in p ? String((p as { text: unknown }).text) : '')).join(' ');
  return '';
}

function imagesIn(content: unknown): number {
  return Array.isArray(content) ? content.filter((p) => p && typeof p === 'object' && (p as { type?: string }).type === 'image_url').length : 0;
}

/** Checks a chat body the way the real API would; returns an error message or undefined. */
function validate(b: WireBody, dialect: Dialect): string | undefined {
  if (typeof b.model !== 'string' || !b.model) return "you must provide a model parameter";
  if (!Array.isArray(b.messages) || b.messages.length === 0) return "'messages' must be a non-empty array";
  const roles = dialect === 'openai' ? ['system', 'developer', 'user', 'assistant', 'tool', 'function'] : ['system', 'user', 'assistant', 'tool'];
  const callIds = new Set<string>();
  for (const [i, m] of b.messages.entries()) {
    if (!m.role || !roles.includes(m.role)) return `Invalid value for 'messages[${i}].role': '${m.role}'`;
    for (const c of m.tool_calls ?? []) {
      if (!c.id) return `messages[${i}].tool_calls: id is required`;
      if (dialect === 'mistral' && !/^[A-Za-z0-9]{9}$/.test(c.id)) return `Tool call id was ${c.id} but must be a-z, A-Z, 0-9, with a length of 9.`;
      callIds.add(c.id);
    }
    if (m.role === 'tool' && !callIds.has(m.tool_call_id ?? '')) {
      return `Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.`;
    }
  }
  if (dialect === 'openai') {
    if (b.stream_options && !b.stream) return 'The \'stream_options\' parameter is only allowed when \'stream\' is enabled.';
    if (/^(o\d|gpt-5)/.test(b.model) && b.max_tokens !== undefined) {
      return "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.";
    }
  } else {
    for (const k of Object.keys(b)) if (!MISTRAL_FIELDS.has(k)) return JSON.stringify({ detail: [{ type: 'extra_forbidden', loc: ['body', k], msg: 'Extra inputs are not permitted' }] });
    if (typeof b.tool_choice === 'string' && !['auto', 'none', 'any', 'required'].includes(b.tool_choice)) return `Invalid tool_choice '${b.tool_choice}'`;
  }
  return undefined;
}

function turnOf(b: WireBody): MockTurn {
  const msgs = b.messages ?? [];
  const last = msgs[msgs.length - 1];
  const choice = b.tool_choice;
  let toolChoice = 'auto';
  if (typeof choice === 'string') toolChoice = choice === 'any' ? 'required' : choice;
  else if (choice && typeof choice === 'object') toolChoice = (choice as { function?: { name?: string } }).function?.name ?? 'auto';
  const rf = b.response_format;
  const stop = typeof b.stop === 'string' ? [b.stop] : b.stop;
  return {
    promptText: msgs.map((m) => textOf(m.content)).join('\n'),
    lastUserText: last?.role === 'user' ? textOf(last.content) : '',
    lastIsToolResult: last?.role === 'tool',
    toolResultText: last?.role === 'tool' ? textOf(last.content) : '',
    imageCount: msgs.reduce((n, m) => n + imagesIn(m.content), 0),
    tools: (b.tools ?? []).map((t) => ({ name: t.function?.name ?? 'tool', schema: t.function?.parameters })),
    toolChoice,
    json: rf?.type === 'json_object' ? 'object' : rf?.type === 'json_schema' ? { schema: rf.json_schema?.schema ?? {} } : 'none',
    maxTokens: b.max_completion_tokens ?? b.max_tokens,
    stop,
  };
}

function usageOf(a: MockAnswer, dialect: Dialect) {
  const base = { prompt_tokens: a.promptTokens, completion_tokens: a.completionTokens, total_tokens: a.promptTokens + a.completionTokens };
  if (dialect === 'mistral') return base;
  return {
    ...base,
    prompt_tokens_details: { cached_tokens: a.cachedTokens, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
}

let seq = 0;
function nextId(dialect: Dialect): string {
  seq = (seq + 1) % 1e9;
  return dialect === 'openai' ? `chatcmpl-mock${seq.toString(36).padStart(8, '0')}` : `cmpl-mock${seq.toString(36)}`;
}

function toolCallId(dialect: Dialect, id: string): string {
  return dialect === 'mistral' ? id.replace(/[^A-Za-z0-9]/g, '').slice(-9).padStart(9, 'm') : id;
}

function completion(b: WireBody, a: MockAnswer, dialect: Dialect) {
  const n = b.n ?? 1;
  const message: Record<string, unknown> = { role: 'assistant', content: a.toolCalls.length ? null : a.text };
  if (a.toolCalls.length) {
    message.tool_calls = a.toolCalls.map((c) => ({ id: toolCallId(dialect, c.id), type: 'function', function: { name: c.name, arguments: c.arguments } }));
  }
  if (dialect === 'openai') {
    message.refusal = null;
    message.annotations = [];
  }
  const finish = dialect === 'mistral' && a.finish === 'length' ? 'length' : a.finish;
  return {
    id: nextId(dialect),
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: b.model,
    choices: Array.from({ length: n }, (_, index) => ({ index, message, logprobs: null, finish_reason: finish })),
    usage: usageOf(a, dialect),
    ...(dialect === 'openai' ? { service_tier: 'default', system_fingerprint: 'fp_mock' } : {}),
  };
}

function streamEvents(b: WireBody, a: MockAnswer, dialect: Dialect): string[] {
  const id = nextId(dialect);
  const created = Math.floor(Date.now() / 1000);
  const includeUsage = dialect === 'openai' && b.stream_options?.include_usage === true;
  const n = b.n ?? 1;
  const events: string[] = [];
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) => {
    const c: Record<string, unknown> = { id, object: 'chat.completion.chunk', created, model: b.model, ...(dialect === 'openai' ? { system_fingerprint: 'fp_mock' } : {}), choices, ...extra };
    if (includeUsage && !('usage' in extra)) c.usage = null;
    events.push(`data: ${JSON.stringify(c)}\n\n`);
  };
  for (let index = 0; index < n; index++) {
    if (a.toolCalls.length) {
      a.toolCalls.forEach((call, t) => {
        const callId = toolCallId(dialect, call.id);
        if (dialect === 'mistral') {
          // Mistral sends each tool call whole, in one chunk.
          chunk([{ index, delta: { role: 'assistant', content: '', tool_calls: [{ id: callId, type: 'function', index: t, function: { name: call.name, arguments: call.arguments } }] }, finish_reason: null }]);
          return;
        }
        chunk([{ index, delta: { role: 'assistant', content: null, tool_calls: [{ index: t, id: callId, type: 'function', function: { name: call.name, arguments: '' } }], refusal: null }, logprobs: null, finish_reason: null }]);
        for (const piece of splitInto(call.arguments, 3)) chunk([{ index, delta: { tool_calls: [{ index: t, function: { arguments: piece } }] }, logprobs: null, finish_reason: null }]);
      });
    } else {
      chunk([{ index, delta: dialect === 'openai' ? { role: 'assistant', content: '', refusal: null } : { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }]);
      for (const piece of streamPieces(a.text)) chunk([{ index, delta: { content: piece }, logprobs: null, finish_reason: null }]);
    }
    const last = index === n - 1;
    if (dialect === 'mistral' && last) chunk([{ index, delta: { content: '' }, finish_reason: a.finish }], { usage: usageOf(a, dialect) });
    else chunk([{ index, delta: {}, logprobs: null, finish_reason: a.finish }]);
  }
  if (includeUsage) chunk([], { usage: usageOf(a, dialect) });
  events.push('data: [DONE]\n\n');
  return events;
}

async function chat(ex: MockExchange, dialect: Dialect) {
  const b = (ex.body ?? {}) as WireBody;
  const fault = ex.takeFault(typeof b.model === 'string' ? b.model : '');
  if (fault?.type === 'status') return failWith(ex, dialect, fault.status, fault.message, fault.retryAfter);
  if (!checkAuth(ex, dialect)) return;
  if (ex.body === undefined) return failWith(ex, dialect, 400, 'We could not parse the JSON body of your request.');
  const problem = validate(b, dialect);
  if (problem) {
    const status = dialect === 'mistral' ? 422 : 400;
    const body = dialect === 'openai' ? openaiError(400, problem, 'invalid_request_error', null) : mistralError(problem.startsWith('{') ? JSON.parse(problem) : problem, 'invalid_request_message_error');
    return sendError(ex, status, body);
  }
  const a = answer(turnOf(b), dialect === 'mistral' ? 'mc' : 'call_');
  if (b.stream) return sendSse(ex, streamEvents(b, a, dialect), fault);
  return sendJson(ex, 200, completion(b, a, dialect), fault, { 'x-request-id': 'req_mock' });
}

async function embeddings(ex: MockExchange, dialect: Dialect) {
  const b = (ex.body ?? {}) as { model?: string; input?: unknown; encoding_format?: string; dimensions?: number; output_dimension?: number };
  const fault = ex.takeFault(b.model ?? '');
  if (fault?.type === 'status') return failWith(ex, dialect, fault.status, fault.message, fault.retryAfter);
  if (!checkAuth(ex, dialect)) return;
  const inputs = typeof b.input === 'string' ? [b.input] : Array.isArray(b.input) ? b.input : undefined;
  if (!b.model || !inputs || inputs.length === 0) return failWith(ex, dialect, dialect === 'mistral' ? 422 : 400, "'input' and 'model' are required");
  const dims = (dialect === 'openai' ? b.dimensions : b.output_dimension) ?? 8;
  const data = inputs.map((inp, index) => {
    const v = embed(typeof inp === 'string' ? inp : JSON.stringify(inp), dims);
    const embedding = b.encoding_format === 'base64' ? Buffer.from(new Float32Array(v).buffer).toString('base64') : v;
    return { object: 'embedding', index, embedding };
  });
  const tokens = inputs.reduce<number>((n, inp) => n + (typeof inp === 'string' ? inp.split(/\s+/).filter(Boolean).length : Array.isArray(inp) ? inp.length : 1), 0);
  return sendJson(ex, 200, { object: 'list', data, model: b.model, usage: { prompt_tokens: tokens, total_tokens: tokens } }, fault);
}

function models(ex: MockExchange, dialect: Dialect) {
  if (!checkAuth(ex, dialect)) return;
  const ids = dialect === 'openai' ? ['gpt-4o-mini', 'gpt-4o', 'text-embedding-3-small'] : ['mistral-small-latest', 'mistral-embed'];
  return sendJson(ex, 200, { object: 'list', data: ids.map((id) => ({ id, object: 'model', created: 1700000000, owned_by: dialect })) });
}

function route(dialect: Dialect) {
  return async (ex: MockExchange) => {
    if (ex.method === 'POST' && ex.path === '/v1/chat/completions') return chat(ex, dialect);
    if (ex.method === 'POST' && ex.path === '/v1/embeddings') return embeddings(ex, dialect);
    if (ex.method === 'GET' && ex.path === '/v1/models') return models(ex, dialect);
    return sendError(ex, 404, dialect === 'openai' ? openaiError(404, `Invalid URL (${ex.method} ${ex.path})`, 'invalid_request_error', null) : mistralError('Not Found'));
  };
}

export const openaiSimulator = route('openai');
export const mistralSimulator = route('mistral');
