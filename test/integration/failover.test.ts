import type { IncomingMessage, ServerResponse } from 'node:http';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import type { FaultRule } from '../mock-upstream/faults.js';
import type { MockUpstream } from '../mock-upstream/server.js';
import { addDeployment, CHAT_MODELS, createUserWithKey, type DeploymentOptions } from '../helpers/catalogue.js';
import type { TestDatabase } from '../helpers/db.js';
import type { TestGateway } from '../helpers/gateway.js';
import { useGatewayHarness } from '../helpers/harness.js';
import { eventually, expectMoneyInvariants, quiescent } from '../helpers/invariants.js';
import { injectFault } from '../helpers/mock-control.js';
import { waitFor } from '../helpers/wait.js';
import { UNDICI_BACKSTOP_SLACK_MS } from '../../src/upstream/transport.js';

let db: TestDatabase;
let mock: MockUpstream;
let gw: TestGateway;
let client: OpenAI;
useGatewayHarness(
  { env: { RETRY_BASE_DELAY_MS: '10', RETRY_MAX_DELAY_MS: '50', BREAKER_MIN_REQUESTS: '4', BREAKER_RESET_MS: '1500', BREAKER_ERROR_PERCENT: '50' } },
  (h) => ({ db, mock, gw, client } = h),
);

interface Attempt {
  provider: string;
  keyId: string;
  status: number;
  latencyMs: number;
  retryReason?: string;
}

const deployment = (id: string, opts: DeploymentOptions = {}) => addDeployment(gw, mock, id, opts);

const fault = (id: string, f: FaultRule['fault'], extra: Partial<FaultRule> = {}) => injectFault(mock, { model: `${id}-upstream`, fault: f, ...extra });

/**
 * The first request the mock upstream receives with this provider key, seen from the mock's own
 * server: when it arrived, when its connection closed, and whether the mock had answered by then.
 */
function watchUpstream(providerKey: string): Promise<{ receivedAt: number; closedAt: number; answered: boolean }> {
  return new Promise((resolve) => {
    const onRequest = (req: IncomingMessage, res: ServerResponse) => {
      if (req.headers.authorization !== `Bearer ${providerKey}`) return;
      mock.server.off('request', onRequest);
      const receivedAt = performance.now();
      req.socket.once('close', () => resolve({ receivedAt, closedAt: performance.now(), answered: res.headersSent }));
    };
    mock.server.on('request', onRequest);
  });
}

/**
 * The transport arms undici's own header/body timers as a backstop, UNDICI_BACKSTOP_SLACK_MS
 * after the configured timeout: they cannot fire sooner than that. A timeout honoured before it
 * was enforced by the gateway's own timer (the bound leaves a busy machine a second of slack).
 */
const undiciEarliest = (timeoutMs: number) => timeoutMs + UNDICI_BACKSTOP_SLACK_MS;

async function askFor(model: string, content = 'Hello there gateway') {
  const { data, response } = await client.chat.completions.create({ model, messages: [{ role: 'user', content }] }).withResponse();
  const id = response.headers.get('x-request-id')!;
  const row = await eventually(async () => (await db.query<{ attempts: Attempt[]; cost: string; served_model: string }>('SELECT attempts, cost::text, served_model FROM requests WHERE id = $1', [id]))[0]);
  return { data, response, row };
}

describe('retries', () => {
  it.each([
    ['429 with Retry-After', { type: 'status', status: 429, retryAfter: 1 } as const, '429'],
    ['500', { type: 'status', status: 500 } as const, '500'],
    ['503', { type: 'status', status: 503 } as const, '503'],
    ['a connection reset', { type: 'reset' } as const, 'upstream_connection_error'],
    ['a malformed body', { type: 'malformed' } as const, '200'],
  ])('after %s: retried, served, charged once', async (_name, f, reason) => {
    const id = `r${Math.random().toString(36).slice(2, 7)}`;
    const model = await deployment(id);
    await fault(id, f);
    const t0 = Date.now();
    const { data, row } = await askFor(model);
    expect(data.choices[0]!.message.content).toBe('Mock reply to: Hello there gateway');
    expect(row.attempts.map((a) => [a.status >= 400 ? 'failed' : 'ok', a.retryReason ?? null])).toEqual([['failed', reason], ['ok', null]]);
    if (f.type === 'status' && f.status === 429) {
      // Retry-After: 1 is a floor on the wait before the retry, whatever the backoff says: the
      // retry reached the upstream no sooner than 1 s after the 429 did (a lower bound only).
      const [limited, retried] = mock.requests.filter((r) => r.headers.authorization === `Bearer ${id}-key`);
      expect(retried!.at - limited!.at).toBeGreaterThanOrEqual(1000);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
    }
    expect(row.cost).toBe('9');
  });

  it("after Anthropic's 529 overloaded: retried and served", async () => {
    await injectFault(mock, { provider: 'anthropic', match: 'overload-me', fault: { type: 'status', status: 529 } });
    const { data, row } = await askFor(CHAT_MODELS.anthropic, 'overload-me');
    expect(data.choices[0]!.message.content).toBe('Mock reply to: overload-me');
    expect(row.attempts.map((a) => a.retryReason ?? null)).toEqual(['529', null]);
  });

  it('a slow first byte past the timeout: the attempt is abandoned on time, its connection closed, and retried', async () => {
    const id = `slow${Math.random().toString(36).slice(2, 6)}`;
    const timeoutMs = 250;
    const model = await deployment(id, { firstByteTimeoutMs: timeoutMs });
    await fault(id, { type: 'slow_first_byte', ms: 3_000 });
    const upstream = watchUpstream(`${id}-key`);
    const { row } = await askFor(model);
    expect(row.attempts.map((a) => [a.status, a.retryReason ?? null])).toEqual([[504, 'upstream_timeout_first_byte'], [200, null]]);
    // The gateway hung up on the silent upstream (nothing left open behind the retry).
    expect((await upstream).answered).toBe(false);
    const { latencyMs } = row.attempts[0]!;
    expect(latencyMs).toBeGreaterThanOrEqual(timeoutMs);
    // The one timing bound, and the point of this test: given up before undici's coarse timer
    // could have fired, so by our own timer, close to the configured timeout.
    expect(latencyMs).toBeLessThan(undiciEarliest(timeoutMs));
  });

  it('a total timeout ends the attempt, not the request: it is retried like any other timeout', async () => {
    const id = `total${Math.random().toString(36).slice(2, 6)}`;
    const model = await deployment(id, { totalTimeoutMs: 300 });
    await fault(id, { type: 'slow_first_byte', ms: 3_000 });
    const { data, row } = await askFor(model);
    expect(data.choices[0]!.message.content).toBe('Mock reply to: Hello there gateway');
    expect(row.attempts.map((a) => [a.status, a.retryReason ?? null])).toEqual([[504, 'upstream_timeout_total'], [200, null]]);
  });

  it('a stream that goes silent past the timeout after its first chunk is cut on time', async () => {
    const id = `idle${Math.random().toString(36).slice(2, 6)}`;
    const timeoutMs = 250;
    const model = await deployment(id, { firstByteTimeoutMs: timeoutMs });
    await fault(id, { type: 'slow_events', ms: 3_000 });
    const upstream = watchUpstream(`${id}-key`);
    let text = '';
    const err = await (async () => {
      const s = await client.chat.completions.create({ model, stream: true, messages: [{ role: 'user', content: 'x [[reply:5]]' }] });
      for await (const c of s) text += c.choices[0]?.delta.content ?? '';
    })().catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(text).toBe('');
    const { receivedAt, closedAt, answered } = await upstream;
    expect(answered).toBe(true);
    // The mock sends its first event as soon as the request arrives, so the silence began after
    // receivedAt: the gateway waited at least the timeout...
    expect(closedAt - receivedAt).toBeGreaterThanOrEqual(timeoutMs);
    // ...and (the one timing bound, the point of this test) hung up before undici's coarse body
    // timer could have fired: our own idle timer cut it.
    expect(closedAt - receivedAt).toBeLessThan(undiciEarliest(timeoutMs));
  });

  it('a 4xx that retrying cannot fix is not retried', async () => {
    const id = `bad${Math.random().toString(36).slice(2, 6)}`;
    const model = await deployment(id);
    await fault(id, { type: 'status', status: 400, message: 'bad things' }, { times: 0 });
    const err = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'x' }] }).catch((e) => e);
    expect(err.status).toBe(400);
    expect(mock.requests.filter((r) => (r.body as { model?: string }).model === `${id}-upstream`)).toHaveLength(1);
  });

  it('a stream cut after it began is not retried: the client gets an error, charged for what it received', async () => {
    const id = `cut${Math.random().toString(36).slice(2, 6)}`;
    const model = await deployment(id);
    await fault(id, { type: 'cut_stream', afterEvents: 4 });
    let text = '';
    const err = await (async () => {
      const s = await client.chat.completions.create({ model, stream: true, messages: [{ role: 'user', content: 'x [[reply:20]]' }] });
      for await (const c of s) text += c.choices[0]?.delta.content ?? '';
    })().catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(text).toBe('w1 w2 w3 ');
    // The request row is written by the settlers, after the response: wait for it.
    const rows = await eventually(async () => {
      const r = await db.query<{ attempts: Attempt[]; cost: string }>('SELECT attempts, cost::text FROM requests WHERE model_alias = $1', [model]);
      return r.length > 0 && r;
    });
    expect(rows[0]!.attempts).toHaveLength(1);
    expect(BigInt(rows[0]!.cost)).toBeGreaterThan(0n);
  });

  it('a stream that fails before its first chunk is retried (nothing had reached the client)', async () => {
    const id = `early${Math.random().toString(36).slice(2, 6)}`;
    const model = await deployment(id);
    await fault(id, { type: 'cut_stream', afterEvents: 0 });
    let text = '';
    const s = await client.chat.completions.create({ model, stream: true, messages: [{ role: 'user', content: 'x [[reply:3]]' }] });
    for await (const c of s) text += c.choices[0]?.delta.content ?? '';
    expect(text).toBe('w1 w2 w3');
  });
});

describe('fallbacks, breakers and key pools', () => {
  it('falls back to the next model of the chain — another provider — priced at the model that served', async () => {
    const backup = await deployment('fb-backup', { kind: 'anthropic', price: '3' });
    const primary = await deployment('fb-primary', { fallbacks: [backup] });
    await fault('fb-primary', { type: 'status', status: 503 }, { times: 0 });
    const { data, response, row } = await askFor(primary);
    expect(data.choices[0]!.message.content).toBe('Mock reply to: Hello there gateway');
    expect(response.headers.get('x-tollgate-model')).toBe(backup);
    expect(response.headers.get('x-tollgate-provider')).toBe('fb-backup');
    expect(row.served_model).toBe(backup);
    expect(row.attempts.map((a) => [a.provider, a.status])).toEqual([['fb-primary', 503], ['fb-primary', 503], ['fb-primary', 503], ['fb-backup', 200]]);
    // Anthropic usage for this prompt: 3 in, 6 out, at 3 credits per 1M each.
    expect(row.cost).toBe('27');
    // The mock received an Anthropic Messages request, translated from the OpenAI one.
    expect(mock.requests.at(-1)!.path).toBe('/v1/messages');
  });

  it('a breaker opens after repeated failures, sends traffic straight to the fallback, then recovers', async () => {
    const backup = await deployment('br-backup');
    const primary = await deployment('br-primary', { fallbacks: [backup] });
    await fault('br-primary', { type: 'status', status: 500 }, { times: 0 });
    await askFor(primary); // 3 failed attempts (and the fallback serves)
    await askFor(primary); // the breaker opens within this one
    const health = await gw.admin('GET', '/health');
    expect(health.breakers.find((b: { provider: string }) => b.provider === 'br-primary')).toMatchObject({ state: 'open' });
    const skipped = await askFor(primary);
    expect(skipped.row.attempts.map((a) => [a.provider, a.status, a.retryReason ?? null])).toEqual([['br-primary', 0, 'breaker_open'], ['br-backup', 200, null]]);
    await fetch(`${mock.url}/_mock/faults`, { method: 'DELETE' });
    // BREAKER_RESET_MS (1.5 s) must pass before the breaker lets a probe through (half-open).
    await waitFor(
      async () => ((await gw.admin('GET', '/health')).breakers as { provider: string; state: string }[]).some((b) => b.provider === 'br-primary' && b.state === 'half_open'),
      { what: 'the br-primary breaker to turn half-open' },
    );
    const probe = await askFor(primary);
    expect(probe.response.headers.get('x-tollgate-provider')).toBe('br-primary');
    const after = await gw.admin('GET', '/health');
    expect(after.breakers.find((b: { provider: string }) => b.provider === 'br-primary')).toMatchObject({ state: 'closed' });
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metrics).toMatch(/tollgate_breaker_state\{provider="br-primary",key="\d+"\} 0/);
  });

  it('spreads over several keys, and one failing key does not stall the provider', async () => {
    const model = await deployment('pool', { keys: ['pool-key-A', 'pool-key-B'] });
    await fault('pool', { type: 'status', status: 503 }, { key: 'pool-key-A', times: 0 });
    for (let i = 0; i < 8; i++) {
      const { data } = await askFor(model);
      expect(data.choices[0]!.message.content).toBe('Mock reply to: Hello there gateway');
    }
    const keysUsed = mock.requests.filter((r) => (r.body as { model?: string }).model === 'pool-upstream').map((r) => String(r.headers.authorization).slice(-1));
    expect(keysUsed.filter((k) => k === 'B')).toHaveLength(8);
    // Key A failed until its own breaker opened; after that it is not tried at all.
    const aTries = keysUsed.filter((k) => k === 'A').length;
    expect(aTries).toBeGreaterThanOrEqual(2);
    expect(aTries).toBeLessThan(8);
    const health = await gw.admin('GET', '/health');
    const pool = health.breakers.filter((b: { provider: string }) => b.provider === 'pool');
    expect(pool.map((b: { last4: string; state: string }) => [b.last4, b.state]).sort()).toEqual([['ey-A', 'open'], ['ey-B', 'closed']]);
  });

  it('when every deployment fails: a clear 5xx in the OpenAI shape, nothing charged', async () => {
    const u = await createUserWithKey(gw, { credits: '1' });
    const c2 = new OpenAI({ apiKey: u.key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const model = await deployment('dead', {});
    await fault('dead', { type: 'status', status: 502 }, { times: 0 });
    const err = await c2.chat.completions.create({ model, messages: [{ role: 'user', content: 'x' }] }).catch((e) => e);
    expect(err.status).toBe(502);
    expect(err.error).toMatchObject({ type: 'upstream_error', code: 'upstream_bad_gateway' });
    await quiescent(db);
    const [a] = await db.query<{ balance: string; held: string }>('SELECT balance::text, held::text FROM accounts WHERE id = $1', [u.accountId]);
    expect(a).toEqual({ balance: '1000000', held: '0' });
    await expectMoneyInvariants(db, { noOpenHolds: true });
  });
});
