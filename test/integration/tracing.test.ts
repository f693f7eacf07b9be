import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenerativeAI } from '@google/generative-ai';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockUpstream, type MockUpstream } from '../mock-upstream/server.js';
import { addDeployment, CHAT_MODELS, createUserWithKey, seedMockCatalogue } from '../helpers/catalogue.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { TEST_ADMIN_TOKEN } from '../helpers/env.js';
import { startTestGateway } from '../helpers/gateway.js';
import { injectFault } from '../helpers/mock-control.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../helpers/otlp-receiver.js';
import { spawnGateway, type GatewayProcess } from '../helpers/spawn.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Request tracing, end to end: gateways run as real processes with the OTEL_* variables set, export
 * OTLP/HTTP to a receiver in this test, and call the mock upstream; the test reads the span tree,
 * the traceparent the provider received, and the log line.
 */

const SERVER = 2;
const CLIENT = 3;
const ERROR = 2;
const PRELOAD = ['--require', join(process.cwd(), 'test', 'helpers', 'report-loaded-modules.cjs')];

let db: TestDatabase;
let mock: MockUpstream;
let receiver: OtlpReceiver;
let key: string;
let traced: GatewayProcess;
let untraced: GatewayProcess;
const tracedModules = join(tmpdir(), `tollgate-traced-${randomBytes(4).toString('hex')}.txt`);
const untracedModules = join(tmpdir(), `tollgate-untraced-${randomBytes(4).toString('hex')}.txt`);

beforeAll(async () => {
  db = await createTestDatabase();
  mock = await startMockUpstream();
  receiver = await startOtlpReceiver();
  const prefix = `tgtest:${randomBytes(4).toString('hex')}:`;
  const seeder = await startTestGateway({ databaseUrl: db.url, redisPrefix: prefix });
  await seedMockCatalogue(seeder, mock);
  await addDeployment(seeder, mock, 'flaky', { fallbacks: [CHAT_MODELS.openai] });
  ({ key } = await createUserWithKey(seeder, { credits: '10' }));
  await seeder.close();
  const common = { databaseUrl: db.url, redisPrefix: prefix, nodeArgs: PRELOAD };
  [traced, untraced] = await Promise.all([
    spawnGateway({
      ...common,
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_SERVICE_NAME: 'tollgate-under-test',
        OTEL_BSP_SCHEDULE_DELAY: '50',
        RETRY_BASE_DELAY_MS: '10',
        LOADED_MODULES_FILE: tracedModules,
      },
    }),
    spawnGateway({ ...common, env: { OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '', LOADED_MODULES_FILE: untracedModules } }),
  ]);
}, 240_000);

afterAll(async () => {
  await Promise.all([traced?.kill(), untraced?.kill()]);
  await receiver?.close();
  await mock?.close();
  await db?.drop();
});

const client = (url: string) => new OpenAI({ apiKey: key, baseURL: `${url}/v1`, maxRetries: 0 });

/** A client's W3C trace context: a fresh trace id and the client's own span id, sampled. */
function clientTraceparent() {
  const traceId = randomBytes(16).toString('hex');
  const spanId = randomBytes(8).toString('hex');
  return { traceId, spanId, header: `00-${traceId}-${spanId}-01` };
}

/** The spans of one trace once its request span has arrived, in start order. */
async function traceOf(traceId: string, what: string): Promise<ReceivedSpan[]> {
  await waitFor(() => receiver.spans().some((s) => s.traceId === traceId && s.kind === SERVER), { what: `the request span of ${what}` });
  return receiver.spans().filter((s) => s.traceId === traceId).sort((a, b) => (a.startNs < b.startNs ? -1 : a.startNs > b.startNs ? 1 : 0));
}

/** Everything exported so far, as text: what must never hold a secret or content. */
const exportedText = () => receiver.exports.map((e) => e.body.toString('utf8')).join('\n');

function requestLine(gw: GatewayProcess, reqId: string) {
  return gw.output
    .join('')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .find((l) => l.msg === 'request' && l.reqId === reqId);
}

describe('request tracing (OpenTelemetry, OTLP/HTTP)', () => {
  it('traces a request as a child of the client traceparent: its steps, its upstream attempt (whose traceparent the provider receives), GenAI attributes and the cost', async () => {
    const tp = clientTraceparent();
    const marker = `tracing-prompt-${randomBytes(4).toString('hex')}`;
    const { data, response } = await client(traced.url)
      .chat.completions.create({ model: CHAT_MODELS.openai, max_tokens: 50, messages: [{ role: 'user', content: `${marker} [[reply:5]]` }] }, { headers: { traceparent: tp.header } })
      .withResponse();
    expect(data.choices[0]!.message.content).toBe('w1 w2 w3 w4 w5');
    const reqId = response.headers.get('x-request-id')!;

    const spans = await traceOf(tp.traceId, reqId);
    const root = spans.find((s) => s.kind === SERVER)!;
    expect(root.parentSpanId).toBe(tp.spanId);
    expect(root.name).toBe('POST /v1/chat/completions');
    expect(root.resource['service.name']).toBe('tollgate-under-test');
    expect(root.attributes).toMatchObject({
      'tollgate.request_id': reqId,
      'http.request.method': 'POST',
      'http.response.status_code': 200,
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': CHAT_MODELS.openai,
      'gen_ai.request.max_tokens': 50,
      'gen_ai.response.model': data.model,
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.provider.name': 'openai',
      'gen_ai.system': 'openai',
      'gen_ai.usage.input_tokens': data.usage!.prompt_tokens,
      'gen_ai.usage.output_tokens': 5,
      'tollgate.cost': response.headers.get('x-tollgate-cost'),
      // Not deterministic (no temperature 0): the cache step decided to bypass the cache.
      'tollgate.cache': 'BYPASS',
      'tollgate.attempts': 1,
    });

    // The steps, in the order the pipeline runs them, each a child of the request's span.
    const children = spans.filter((s) => s !== root);
    expect(children.every((s) => s.parentSpanId === root.spanId)).toBe(true);
    expect(children.map((s) => s.name)).toEqual(['tollgate.auth', 'tollgate.limits', 'tollgate.cache', 'tollgate.credits.hold', 'chat gpt-4o-mini-2024-07-18', 'tollgate.credits.settle']);
    const attempt = children.find((s) => s.kind === CLIENT)!;
    expect(attempt.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini-2024-07-18',
      'http.response.status_code': 200,
      'tollgate.attempt.id': `${reqId}.1`,
      'tollgate.attempt.number': 1,
      'tollgate.attempt.fallback': false,
      'server.address': '127.0.0.1',
    });
    expect(attempt.status.code).not.toBe(ERROR);

    // The provider was called with the attempt span as its parent.
    const upstream = mock.requests.find((r) => JSON.stringify(r.body).includes(marker))!;
    expect(upstream.headers.traceparent).toBe(`00-${tp.traceId}-${attempt.spanId}-01`);

    // The log line names the trace.
    const line = await waitFor(() => requestLine(traced, reqId), { what: `the log line of ${reqId}` });
    expect(line.traceId).toBe(tp.traceId);

    // Nothing secret and no content in any export: not the API key, the provider key, the admin
    // token, an Authorization header, the prompt or the answer.
    const exported = exportedText();
    for (const secret of [key, 'mock-openai-key-0001', TEST_ADMIN_TOKEN, marker, 'w1 w2 w3']) expect(exported).not.toContain(secret);
    expect(exported.toLowerCase()).not.toMatch(/authorization|bearer/);
  });

  it('traces every upstream attempt: the failed ones with their status and retry reason, then the fallback that served', async () => {
    const tp = clientTraceparent();
    await injectFault(mock, { model: 'flaky-upstream', times: 0, fault: { type: 'status', status: 503 } });
    const marker = `fallback-${randomBytes(4).toString('hex')}`;
    const { response } = await client(traced.url)
      .chat.completions.create({ model: 'flaky-model', messages: [{ role: 'user', content: marker }] }, { headers: { traceparent: tp.header } })
      .withResponse();
    expect(response.headers.get('x-tollgate-model')).toBe(CHAT_MODELS.openai);
    const reqId = response.headers.get('x-request-id')!;

    const spans = await traceOf(tp.traceId, reqId);
    const attempts = spans.filter((s) => s.kind === CLIENT);
    // RETRY_MAX (2) retries of the failing deployment, then its fallback.
    expect(attempts.map((a) => [a.name, a.attributes['http.response.status_code'], a.attributes['tollgate.attempt.fallback'], a.attributes['tollgate.attempt.retry_reason']])).toEqual([
      ['chat flaky-upstream', 503, false, '503'],
      ['chat flaky-upstream', 503, false, '503'],
      ['chat flaky-upstream', 503, false, '503'],
      ['chat gpt-4o-mini-2024-07-18', 200, true, undefined],
    ]);
    for (const failed of attempts.slice(0, 3)) {
      expect(failed.status.code).toBe(ERROR);
      expect(failed.attributes['tollgate.provider.id']).toBe('flaky');
      expect(typeof failed.attributes['error.type']).toBe('string');
    }
    expect(attempts.map((a) => a.attributes['tollgate.attempt.id'])).toEqual([1, 2, 3, 4].map((n) => `${reqId}.${n}`));
    const root = spans.find((s) => s.kind === SERVER)!;
    expect(root.attributes).toMatchObject({ 'tollgate.attempts': 4, 'gen_ai.request.model': 'flaky-model', 'gen_ai.provider.name': 'openai', 'tollgate.model.served': CHAT_MODELS.openai });

    // Each attempt carried its own span's traceparent to the provider.
    const received = mock.requests.filter((r) => JSON.stringify(r.body).includes(marker)).map((r) => r.headers.traceparent);
    expect(received).toEqual(attempts.map((a) => `00-${tp.traceId}-${a.spanId}-01`));
  });

  it('traces a stream: time to first token, chunks relayed, finish reasons and usage', async () => {
    const tp = clientTraceparent();
    const stream = await client(traced.url).chat.completions.create(
      { model: CHAT_MODELS.openai, stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'stream me [[reply:6]]' }] },
      { headers: { traceparent: tp.header } },
    );
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('w1 w2 w3 w4 w5 w6');

    const spans = await traceOf(tp.traceId, 'the stream');
    const root = spans.find((s) => s.kind === SERVER)!;
    const relayed = spans.find((s) => s.name === 'tollgate.stream')!;
    expect(relayed.parentSpanId).toBe(root.spanId);
    expect(relayed.attributes['tollgate.stream.outcome']).toBe('complete');
    expect(relayed.attributes['tollgate.stream.chunks']).toBeGreaterThanOrEqual(6);
    expect(relayed.attributes['tollgate.stream.time_to_first_token_ms']).toBeGreaterThan(0);
    expect(relayed.events.map((e) => e.name)).toContain('gen_ai.first_token');
    expect(root.attributes).toMatchObject({ 'tollgate.stream': true, 'gen_ai.request.stream': true, 'gen_ai.response.finish_reasons': ['stop'], 'gen_ai.usage.output_tokens': 6 });
    const exported = exportedText();
    expect(exported).not.toContain('w1 w2');
    expect(exported).not.toContain('stream me');
  });

  it('traces a stream its client left: the stream span says so, and the request span carries the 499 and what was charged', async () => {
    const tp = clientTraceparent();
    const marker = `left-${randomBytes(4).toString('hex')}`;
    await injectFault(mock, { provider: 'openai', match: marker, fault: { type: 'slow_events', ms: 150 } });
    const abort = new AbortController();
    const res = await fetch(`${traced.url}/v1/chat/completions`, {
      method: 'POST',
      signal: abort.signal,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', traceparent: tp.header },
      body: JSON.stringify({ model: CHAT_MODELS.openai, stream: true, messages: [{ role: 'user', content: `${marker} [[reply:40]]` }] }),
    });
    const reader = res.body!.getReader();
    await reader.read();
    abort.abort();

    const spans = await traceOf(tp.traceId, 'the stream left by its client');
    const root = spans.find((s) => s.kind === SERVER)!;
    expect(spans.find((s) => s.name === 'tollgate.stream')!.attributes['tollgate.stream.outcome']).toBe('client_gone');
    expect(root.attributes).toMatchObject({ 'http.response.status_code': 499, 'error.type': 'client_disconnected' });
    // A client leaving is not the gateway failing.
    expect(root.status.code).not.toBe(ERROR);
    expect(Number(root.attributes['tollgate.cost_microcredits'])).toBeGreaterThan(0);
    expect(spans.map((s) => s.name)).toContain('tollgate.credits.settle');
  });

  it('traces an Anthropic Messages stream to Anthropic: one finish reason per choice, the provider named by the conventions', async () => {
    const tp = clientTraceparent();
    const anthropic = new Anthropic({ apiKey: key, baseURL: traced.url, maxRetries: 0 });
    const stream = anthropic.messages.stream({ model: CHAT_MODELS.anthropic, max_tokens: 64, messages: [{ role: 'user', content: 'anthropic traced [[reply:4]]' }] }, { headers: { traceparent: tp.header } });
    expect((await stream.finalMessage()).stop_reason).toBe('end_turn');
    const spans = await traceOf(tp.traceId, 'the Anthropic stream');
    const root = spans.find((s) => s.kind === SERVER)!;
    expect(root.name).toBe('POST /v1/messages');
    expect(root.attributes).toMatchObject({ 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'anthropic', 'gen_ai.request.max_tokens': 64, 'gen_ai.response.finish_reasons': ['stop'], 'gen_ai.usage.output_tokens': 4 });
    expect(spans.find((s) => s.kind === CLIENT)!.attributes['gen_ai.request.model']).toBe('claude-sonnet-4-5');
  });

  it('names a Gemini request by its route, not its model, and never records the query string', async () => {
    const tp = clientTraceparent();
    const model = new GoogleGenerativeAI(key).getGenerativeModel({ model: CHAT_MODELS.gemini }, { baseUrl: traced.url, customHeaders: { traceparent: tp.header } });
    const result = await model.generateContent('gemini traced [[reply:3]]');
    expect(result.response.text()).toBe('w1 w2 w3');
    const root = (await traceOf(tp.traceId, 'the Gemini request')).find((s) => s.kind === SERVER)!;
    expect(root.name).toBe('POST /v1beta/models/{model}:generateContent');
    expect(root.attributes).toMatchObject({ 'gen_ai.operation.name': 'generate_content', 'gen_ai.provider.name': 'gcp.gemini', 'gen_ai.request.model': CHAT_MODELS.gemini });
    const exported = exportedText();
    expect(exported).not.toContain(key);
    expect(exported).not.toContain('gemini traced');
  });

  it('marks a refused request: the failed step and the 4xx (not a server error), and never the key it was refused', async () => {
    const tp = clientTraceparent();
    const wrongKey = `tg_wrong_${randomBytes(12).toString('hex')}`;
    const refused = await new OpenAI({ apiKey: wrongKey, baseURL: `${traced.url}/v1`, maxRetries: 0 }).chat.completions
      .create({ model: CHAT_MODELS.openai, messages: [{ role: 'user', content: 'let me in' }] }, { headers: { traceparent: tp.header } })
      .then(
        () => undefined,
        (e: { status?: number }) => e,
      );
    expect(refused?.status).toBe(401);
    const spans = await traceOf(tp.traceId, 'the refused request');
    const root = spans.find((s) => s.kind === SERVER)!;
    const auth = spans.find((s) => s.name === 'tollgate.auth')!;
    expect(auth.status.code).toBe(ERROR);
    expect(auth.attributes['error.type']).toBe(root.attributes['error.type']);
    expect(root.attributes['http.response.status_code']).toBe(401);
    expect(root.status.code).not.toBe(ERROR);
    expect(spans.map((s) => s.name)).not.toContain('tollgate.limits');
    const exported = exportedText();
    expect(exported).not.toContain(wrongKey);
  });

  it('traces embeddings with their operation name and response model', async () => {
    const tp = clientTraceparent();
    const { data, response } = await client(traced.url).embeddings.create({ model: 'text-embedding-3-small', input: ['embed me'] }, { headers: { traceparent: tp.header } }).withResponse();
    expect(data.data).toHaveLength(1);
    const spans = await traceOf(tp.traceId, 'the embeddings request');
    const root = spans.find((s) => s.kind === SERVER)!;
    expect(root.name).toBe('POST /v1/embeddings');
    expect(root.attributes).toMatchObject({ 'gen_ai.operation.name': 'embeddings', 'gen_ai.response.model': data.model, 'gen_ai.usage.input_tokens': data.usage.prompt_tokens, 'tollgate.cost': response.headers.get('x-tollgate-cost') });
    expect(spans.find((s) => s.kind === CLIENT)!.name).toBe('embeddings text-embedding-3-small');
  });

  it('starts a new trace when the client sends no traceparent, and ignores a malformed one', async () => {
    const { response } = await client(traced.url)
      .chat.completions.create({ model: CHAT_MODELS.openai, messages: [{ role: 'user', content: 'no parent' }] }, { headers: { traceparent: 'not-a-traceparent' } })
      .withResponse();
    const reqId = response.headers.get('x-request-id')!;
    const root = await waitFor(() => receiver.spans().find((s) => s.kind === SERVER && s.attributes['tollgate.request_id'] === reqId), { what: `the span of ${reqId}` });
    expect(root.parentSpanId).toBe('');
    expect(root.traceId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('follows the client: a request whose traceparent is not sampled exports no span, but still carries the trace to the provider and into the log', async () => {
    const tp = clientTraceparent();
    const marker = `unsampled-${randomBytes(4).toString('hex')}`;
    const { response } = await client(traced.url)
      .chat.completions.create({ model: CHAT_MODELS.openai, messages: [{ role: 'user', content: marker }] }, { headers: { traceparent: `00-${tp.traceId}-${tp.spanId}-00` } })
      .withResponse();
    const reqId = response.headers.get('x-request-id')!;
    const line = await waitFor(() => requestLine(traced, reqId), { what: `the log line of ${reqId}` });
    expect(line.traceId).toBe(tp.traceId);
    const upstream = mock.requests.find((r) => JSON.stringify(r.body).includes(marker))!;
    expect(upstream.headers.traceparent).toMatch(new RegExp(`^00-${tp.traceId}-[0-9a-f]{16}-00$`));
    // A sampled request sent after it has been exported: had this one been, it would be there too.
    const later = clientTraceparent();
    await client(traced.url).chat.completions.create({ model: CHAT_MODELS.openai, messages: [{ role: 'user', content: 'after' }] }, { headers: { traceparent: later.header } });
    await traceOf(later.traceId, 'the sampled request after it');
    expect(receiver.spans().some((s) => s.traceId === tp.traceId)).toBe(false);
  });

  it('with tracing off: no span, no traceparent upstream, no trace id in the log, and no OpenTelemetry module loaded', async () => {
    const tp = clientTraceparent();
    const marker = `untraced-${randomBytes(4).toString('hex')}`;
    const { response } = await client(untraced.url)
      .chat.completions.create({ model: CHAT_MODELS.openai, messages: [{ role: 'user', content: marker }] }, { headers: { traceparent: tp.header } })
      .withResponse();
    const reqId = response.headers.get('x-request-id')!;
    const line = await waitFor(() => requestLine(untraced, reqId), { what: `the log line of ${reqId}` });
    expect(line).not.toHaveProperty('traceId');
    const upstream = mock.requests.find((r) => JSON.stringify(r.body).includes(marker))!;
    expect(upstream.headers).not.toHaveProperty('traceparent');

    // Both gateways exit; the preloaded reporter lists what each loaded. The traced one shows the
    // check can see an OpenTelemetry module; the untraced one loaded none but the API, which
    // prom-client's default process metrics load whatever the gateway does.
    expect(await untraced.stop()).toBe(0);
    expect(await traced.stop()).toBe(0);
    const otel = (file: string) => readFileSync(file, 'utf8').split('\n').filter((m) => m.includes('/@opentelemetry/'));
    expect(otel(tracedModules).some((m) => m.includes('/@opentelemetry/sdk-trace-base/'))).toBe(true);
    expect(otel(untracedModules).filter((m) => !m.includes('/@opentelemetry/api/'))).toEqual([]);
    expect(receiver.spans().some((s) => s.traceId === tp.traceId)).toBe(false);
  });
});
