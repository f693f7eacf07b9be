import { randomBytes } from 'node:crypto';
import { answer, countWords, embed, streamPieces, type MockAnswer } from './content.js';
import { REJECTED_KEYS, sendError, sendJson, sendSse, type MockExchange } from './exchange.js';
import { turnOf, validateGenerate, type WireGenerateBody, type WireGenerationConfig } from './gemini-request.js';

/**
 * Gemini's REST API (v1beta) as the gateway and the official SDK meet it: generateContent,
 * streamGenerateContent (?alt=sse: `data: {GenerateContentResponse}` events separated by CRLF
 * CRLF; without it a JSON array), embedContent, batchEmbedContents and the model list. The key
 * comes in x-goog-api-key (or ?key=); a wrong key is a 400 INVALID_ARGUMENT with reason
 * API_KEY_INVALID, a missing one a 403, as the real API answers.
 */

const STATUS: Record<number, [string, string]> = {
  400: ['INVALID_ARGUMENT', 'Request contains an invalid argument.'],
  401: ['UNAUTHENTICATED', 'Request had invalid authentication credentials.'],
  403: ['PERMISSION_DENIED', 'The caller does not have permission'],
  404: ['NOT_FOUND', 'Requested entity was not found.'],
  429: ['RESOURCE_EXHAUSTED', 'You exceeded your current quota, please check your plan and billing details.'],
  500: ['INTERNAL', 'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting'],
  503: ['UNAVAILABLE', 'The model is overloaded. Please try again later.'],
  504: ['DEADLINE_EXCEEDED', 'Deadline expired before operation could complete.'],
};

const THOUGHT = 'Mock thought: weighing the request before answering.';
const MODELS = ['gemini-2.5-flash', 'gemini-2.5-pro', 'gemini-embedding-001'];

function fail(ex: MockExchange, code: number, message?: string, details?: unknown[], retryAfter?: number) {
  const [status, text] = STATUS[code] ?? ['UNKNOWN', `Mock error ${code}`];
  const error: Record<string, unknown> = { code, message: message ?? text, status };
  if (details?.length) error.details = details;
  return sendError(ex, code, { error }, retryAfter);
}

/** Status faults: the body the real API sends for that status (a 429 names the quota and when to retry). */
function failWithFault(ex: MockExchange, model: string, status: number, message?: string, retryAfter?: number) {
  if (status !== 429) return fail(ex, status, message, undefined, retryAfter);
  const details: unknown[] = [
    { '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations: [{ quotaMetric: 'generativelanguage.googleapis.com/generate_content_requests', quotaId: 'GenerateRequestsPerMinutePerProjectPerModel', quotaDimensions: { location: 'global', model }, quotaValue: '10' }] },
  ];
  if (retryAfter !== undefined) details.push({ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${retryAfter}s` });
  return fail(ex, 429, message, details, retryAfter);
}

function checkAuth(ex: MockExchange): boolean {
  const header = ex.headers['x-goog-api-key'];
  const key = (Array.isArray(header) ? header[0] : header) ?? ex.query.get('key') ?? undefined;
  if (!key) {
    void fail(ex, 403, "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.");
    return false;
  }
  if (REJECTED_KEYS.has(key)) {
    void fail(ex, 400, 'API key not valid. Please pass a valid API key.', [
      { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com', metadata: { service: 'generativelanguage.googleapis.com' } },
    ]);
    return false;
  }
  return true;
}

function usageMetadata(a: MockAnswer, n: number, thoughts: number, done: boolean) {
  const u: Record<string, unknown> = { promptTokenCount: a.promptTokens };
  if (done) u.candidatesTokenCount = a.completionTokens * n;
  if (a.cachedTokens > 0) u.cachedContentTokenCount = a.cachedTokens;
  if (done && thoughts > 0) u.thoughtsTokenCount = thoughts;
  u.totalTokenCount = a.promptTokens + (done ? a.completionTokens * n + thoughts : 0);
  u.promptTokensDetails = [{ modality: 'TEXT', tokenCount: a.promptTokens }];
  return u;
}

const FINISH = { stop: 'STOP', length: 'MAX_TOKENS', tool_calls: 'STOP' } as const;

function answerParts(a: MockAnswer, g: WireGenerationConfig): Record<string, unknown>[] {
  const parts: Record<string, unknown>[] = g.thinkingConfig?.includeThoughts ? [{ text: THOUGHT, thought: true }] : [];
  if (a.toolCalls.length === 0) return [...parts, { text: a.text }];
  // Gemini 2.5 signs its function calls and gives them no id: the client names them.
  return [...parts, ...a.toolCalls.map((c, i) => ({ functionCall: { name: c.name, args: JSON.parse(c.arguments) }, ...(i === 0 ? { thoughtSignature: 'bW9jay1zaWduYXR1cmU=' } : {}) }))];
}

function logprobsOf(text: string, g: WireGenerationConfig) {
  const tokens = streamPieces(text);
  const chosen = tokens.map((token, i) => ({ token, tokenId: 1000 + i, logProbability: -0.05 }));
  const top = chosen.map((c) => ({ candidates: [c, ...Array.from({ length: Math.max(0, (g.logprobs ?? 1) - 1) }, (_, k) => ({ token: `alt${k + 1}`, tokenId: k + 1, logProbability: -1 - k }))] }));
  return { avgLogprobs: -0.05, logprobsResult: { topCandidates: top, chosenCandidates: chosen } };
}

function generate(model: string, b: WireGenerateBody, a: MockAnswer) {
  const g = b.generationConfig ?? {};
  const n = g.candidateCount ?? 1;
  const thoughts = (g.thinkingConfig?.thinkingBudget ?? 0) > 0 ? countWords(THOUGHT) : 0;
  const candidates = Array.from({ length: n }, (_, index) => ({
    content: { parts: answerParts(a, g), role: 'model' },
    finishReason: FINISH[a.finish],
    index,
    ...(g.responseLogprobs && a.toolCalls.length === 0 ? logprobsOf(a.text, g) : {}),
  }));
  return { candidates, usageMetadata: usageMetadata(a, n, thoughts, true), modelVersion: model, responseId: randomBytes(12).toString('base64url') };
}

/** Stream events: each candidate's text a piece at a time, its finishReason on its last piece, usage on every event. */
function streamEvents(model: string, b: WireGenerateBody, a: MockAnswer): Record<string, unknown>[] {
  const whole = generate(model, b, a);
  const events: Record<string, unknown>[] = [];
  const n = whole.candidates.length;
  for (const c of whole.candidates) {
    const parts = c.content.parts;
    const pieces: Record<string, unknown>[][] = a.toolCalls.length > 0 ? [parts] : streamPieces(a.text).map((text) => [{ text }]);
    if (pieces.length === 0) pieces.push([{ text: '' }]);
    if (parts[0]?.thought && a.toolCalls.length === 0) pieces[0]!.unshift(parts[0]);
    pieces.forEach((p, i) => {
      const last = i === pieces.length - 1;
      const candidate = { content: { parts: p, role: 'model' }, index: c.index, ...(last ? { finishReason: c.finishReason } : {}) };
      const done = last && c.index === n - 1;
      events.push({ candidates: [candidate], usageMetadata: done ? whole.usageMetadata : usageMetadata(a, n, 0, false), modelVersion: model, responseId: whole.responseId });
    });
  }
  return events;
}

async function generateContent(ex: MockExchange, model: string, stream: boolean) {
  const fault = ex.takeFault(model);
  if (fault?.type === 'status') return failWithFault(ex, model, fault.status, fault.message, fault.retryAfter);
  if (!checkAuth(ex)) return;
  if (!ex.body || typeof ex.body !== 'object') return fail(ex, 400, `Invalid JSON payload received. Unexpected token.\n${ex.rawBody.slice(0, 40)}`);
  const b = ex.body as WireGenerateBody;
  const problem = validateGenerate(b);
  if (problem) return fail(ex, 400, problem);
  const a = answer(turnOf(b));
  if (!stream) return sendJson(ex, 200, generate(model, b, a), fault);
  const events = streamEvents(model, b, a);
  if (ex.query.get('alt') !== 'sse') return sendJson(ex, 200, events, fault);
  return sendSse(ex, events.map((e) => `data: ${JSON.stringify(e)}\r\n\r\n`), fault);
}

interface EmbedRequest {
  model?: string;
  content?: { parts?: { text?: string }[] };
  outputDimensionality?: number;
}

const embedding = (r: EmbedRequest) => ({ values: embed((r.content?.parts ?? []).map((p) => p.text ?? '').join(' '), r.outputDimensionality ?? 8) });

async function embedContents(ex: MockExchange, model: string, batch: boolean) {
  const fault = ex.takeFault(model);
  if (fault?.type === 'status') return failWithFault(ex, model, fault.status, fault.message, fault.retryAfter);
  if (!checkAuth(ex)) return;
  const b = (ex.body ?? {}) as EmbedRequest & { requests?: EmbedRequest[] };
  if (!batch) {
    if (!b.content?.parts?.length) return fail(ex, 400, '* EmbedContentRequest.content: content is not specified\n');
    return sendJson(ex, 200, { embedding: embedding(b) }, fault);
  }
  if (!Array.isArray(b.requests) || b.requests.length === 0) return fail(ex, 400, '* BatchEmbedContentsRequest.requests: requests is not specified\n');
  if (b.requests.length > 100) return fail(ex, 400, '* BatchEmbedContentsRequest.requests: at most 100 requests can be in one batch\n');
  for (const [i, r] of b.requests.entries()) {
    if (r.model !== `models/${model}`) return fail(ex, 400, `* BatchEmbedContentsRequest.requests[${i}].model: must be 'models/${model}', the model of the request URL\n`);
    if (!r.content?.parts?.length) return fail(ex, 400, `* BatchEmbedContentsRequest.requests[${i}].content: content is not specified\n`);
  }
  return sendJson(ex, 200, { embeddings: b.requests.map(embedding) }, fault);
}

function modelInfo(id: string) {
  const embedding = id.includes('embedding');
  return {
    name: `models/${id}`, version: '001', displayName: id, description: `Mock ${id}`,
    inputTokenLimit: embedding ? 2048 : 1_048_576, outputTokenLimit: embedding ? 1 : 65_536,
    supportedGenerationMethods: embedding ? ['embedContent', 'countTextTokens', 'countTokens'] : ['generateContent', 'countTokens', 'createCachedContent', 'batchGenerateContent'],
    ...(embedding ? {} : { temperature: 1, topP: 0.95, topK: 64, maxTemperature: 2, thinking: true }),
  };
}

const METHOD = /^\/v1beta\/(?:models|tunedModels)\/([^/:]+):([A-Za-z]+)$/;

export const geminiSimulator = async (ex: MockExchange): Promise<void> => {
  const m = METHOD.exec(ex.path);
  if (ex.method === 'POST' && m) {
    const [, model = '', method] = m;
    if (method === 'generateContent' || method === 'streamGenerateContent') return generateContent(ex, model, method === 'streamGenerateContent');
    if (method === 'embedContent' || method === 'batchEmbedContents') return embedContents(ex, model, method === 'batchEmbedContents');
  }
  if (ex.method === 'GET' && ex.path === '/v1beta/models') {
    if (checkAuth(ex)) await sendJson(ex, 200, { models: MODELS.map(modelInfo) });
    return;
  }
  const one = /^\/v1beta\/models\/([^/:]+)$/.exec(ex.path);
  if (ex.method === 'GET' && one && MODELS.includes(one[1]!)) {
    if (checkAuth(ex)) await sendJson(ex, 200, modelInfo(one[1]!));
    return;
  }
  return fail(ex, 404, `Method not found: ${ex.method} ${ex.path}`);
};
