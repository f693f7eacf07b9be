import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { countTokens } from '../../src/credits/estimate.js';
import { creditsToMicros, formatCredits, priceTokens } from '../../src/credits/money.js';
import type { MockUpstream } from '../mock-upstream/server.js';
import { CHAT_MODELS, createUserWithKey, EMBEDDING_MODELS, TEST_PRICE } from '../helpers/catalogue.js';
import type { TestDatabase } from '../helpers/db.js';
import type { TestGateway } from '../helpers/gateway.js';
import { useGatewayHarness } from '../helpers/harness.js';
import { expectMoneyInvariants, quiescent } from '../helpers/invariants.js';
import { injectFault } from '../helpers/mock-control.js';
import { waitFor } from '../helpers/wait.js';

let db: TestDatabase;
let mock: MockUpstream;
let gw: TestGateway;
// These tests inject many upstream failures on the one shared provider; how fast they run decides
// how many land in one breaker window. The breaker (tested in failover.test.ts) must not open on
// their sum and fail the tests that follow with 503s.
useGatewayHarness({ env: { BREAKER_MIN_REQUESTS: '100000' } }, (h) => ({ db, mock, gw } = h));

const model = CHAT_MODELS.openai;
const rates = {
  inputPerMtok: creditsToMicros(TEST_PRICE.inputPerMtok),
  outputPerMtok: creditsToMicros(TEST_PRICE.outputPerMtok),
  cachedInputPerMtok: creditsToMicros(TEST_PRICE.cachedInputPerMtok),
  cacheWritePerMtok: creditsToMicros(TEST_PRICE.cacheWritePerMtok),
};
const cost = (input: number, output: number, cached = 0, markupBps = 0) => priceTokens({ input, cachedInput: cached, cacheWrite: 0, output }, rates, markupBps);

async function user(credits: string, planId?: string) {
  const u = await createUserWithKey(gw, { credits, planId });
  return { ...u, client: new OpenAI({ apiKey: u.key, baseURL: `${gw.url}/v1`, maxRetries: 0 }) };
}

/** The account once nothing is held of it: every request settled and this gateway's idle lease given back. */
async function accountRow(accountId: string) {
  await gw.gw.credits.settledUpToNow();
  await waitFor(async () => (await db.query('SELECT 1 FROM leases WHERE account_id = $1', [accountId])).length === 0, { what: `the lease on ${accountId} to be given back` });
  const [a] = await db.query<{ balance: string; held: string }>('SELECT balance::text, held::text FROM accounts WHERE id = $1', [accountId]);
  return a!;
}

async function requestRow(id: string) {
  return waitFor(async () => (await db.query<Record<string, any>>('SELECT * FROM requests WHERE id = $1', [id]))[0], { what: `the request row of ${id}` });
}

/** The account's usage charges, once the settlements appended so far are written to Postgres. */
async function usageCharges(accountId: string) {
  await gw.gw.credits.settledUpToNow();
  return db.query('SELECT 1 FROM ledger WHERE account_id = $1 AND kind = $2', [accountId, 'usage']);
}

/** Resolves once the mock upstream has received a request whose body contains `text`: the request is in flight. */
function reachedUpstream(text: string) {
  return waitFor(() => mock.requests.some((r) => JSON.stringify(r.body).includes(text)), { what: `the upstream to receive "${text}"` });
}

/**
 * Starts a request and returns it with a flag telling whether it has finished, so a test that
 * acts while it is in flight can check it really was (a slow first byte holds it for a while).
 */
function track<T>(p: Promise<T>): { promise: Promise<T>; done: () => boolean } {
  let finished = false;
  const promise = p.finally(() => (finished = true));
  return { promise, done: () => finished };
}

/** Opens a stream and reads it to the end; the error, if it failed at the start or mid-way. */
async function readStream(client: OpenAI, content: string): Promise<unknown> {
  try {
    for await (const _ of await client.chat.completions.create({ model, stream: true, messages: [{ role: 'user', content }] }));
    return undefined;
  } catch (err) {
    return err;
  }
}

describe('hold → settle', () => {
  it('charges usage × price exactly once, with cost and balance in headers', async () => {
    const u = await user('1');
    const { data, response } = await u.client.chat.completions.create({ model, messages: [{ role: 'user', content: 'Hello there gateway' }] }).withResponse();
    expect(data.usage).toMatchObject({ prompt_tokens: 3, completion_tokens: 6 });
    expect(cost(3, 6)).toBe(15n); // 3 × 1 µ + 6 × 2 µ
    expect(response.headers.get('x-tollgate-cost')).toBe('0.000015');
    expect(response.headers.get('x-tollgate-balance')).toBe('0.999985');
    const reqId = response.headers.get('x-request-id')!;
    const row = await requestRow(reqId);
    expect(row).toMatchObject({ status: 200, cost: '15', prompt_tokens: 3, completion_tokens: 6, served_model: model, provider_id: 'openai', usage_estimated: false });
    expect(BigInt(row.hold_amount)).toBeGreaterThan(15n);
    expect(await db.query('SELECT amount::text, kind FROM ledger WHERE request_id = $1', [reqId])).toEqual([{ amount: '-15', kind: 'usage' }]);
    expect(await accountRow(u.accountId)).toEqual({ balance: '999985', held: '0' });
  });

  it('refuses with 402 in the OpenAI shape when even a small answer is not affordable', async () => {
    const u = await user('0.000010');
    const err = await u.client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(err.status).toBe(402);
    expect(err.error).toMatchObject({ type: 'insufficient_quota', code: 'insufficient_credits' });
    expect(err.error.message).toMatch(/^Insufficient credits: this request needs at least 0\.0000\d\d credits to start, and the account has 0\.000010 available\.$/);
    expect(await accountRow(u.accountId)).toEqual({ balance: '10', held: '0' });
  });

  it('clamps max_tokens to what the balance affords, and never spends more than it has', async () => {
    const u = await user('0.000200');
    const { data, response } = await u.client.chat.completions.create({ model, messages: [{ role: 'user', content: 'go [[reply:500]]' }] }).withResponse();
    const clamped = Number(response.headers.get('x-tollgate-max-tokens-clamped'));
    expect(clamped).toBeGreaterThan(16);
    expect(clamped).toBeLessThan(100);
    expect((mock.requests.at(-1)!.body as Record<string, unknown>).max_completion_tokens).toBe(clamped);
    expect(data.choices[0]!.finish_reason).toBe('length');
    expect(data.usage!.completion_tokens).toBe(clamped);
    expect(BigInt((await accountRow(u.accountId)).balance)).toBe(200n - cost(2, clamped));
  });

  it('prices cached prompt tokens at the cached rate, never counting them twice', async () => {
    const u = await user('1');
    const { data, response } = await u.client.chat.completions.create({ model, messages: [{ role: 'user', content: '[[cached:2]] hello world foo' }] }).withResponse();
    expect(data.usage!.prompt_tokens_details!.cached_tokens).toBe(2);
    const expected = cost(data.usage!.prompt_tokens - 2, data.usage!.completion_tokens, 2);
    expect(response.headers.get('x-tollgate-cost')).toBe(`0.0000${expected.toString().padStart(2, '0')}`);
  });

  it('applies the plan markup', async () => {
    await gw.admin('POST', '/plans', { id: 'resale', name: 'Resale', markupBps: 5000 });
    const u = await user('1', 'resale');
    const { response } = await u.client.chat.completions.create({ model, messages: [{ role: 'user', content: 'Hello there gateway' }] }).withResponse();
    expect(cost(3, 6, 0, 5000)).toBe(23n); // 15 × 1.5 = 22.5 → rounded up once
    expect(response.headers.get('x-tollgate-cost')).toBe('0.000023');
  });

  it('charges embeddings by input tokens', async () => {
    const u = await user('1');
    const { response } = await u.client.embeddings.create({ model: EMBEDDING_MODELS.openai, input: 'one two three four', encoding_format: 'float' }).withResponse();
    // 4 tokens at 0.02 credits per 1M = 0.08 µ → 1 µ after the single round-up.
    expect(response.headers.get('x-tollgate-cost')).toBe('0.000001');
  });

  it('charges nothing for a failed upstream call and releases the hold', async () => {
    const u = await user('1');
    await injectFault(mock, { provider: 'openai', match: 'always-500', times: 0, fault: { type: 'status', status: 500 } });
    const err = await u.client.chat.completions.create({ model, messages: [{ role: 'user', content: 'always-500' }] }).catch((e) => e);
    expect(err.status).toBe(502);
    const failed = await requestRow(err.headers.get('x-request-id'));
    expect(failed).toMatchObject({ status: 502, cost: '0', error_code: 'upstream_server_error' });
    expect(failed.attempts.map((a: { status: number }) => a.status)).toEqual([502, 502, 502]);
    expect(await accountRow(u.accountId)).toEqual({ balance: '1000000', held: '0' });
    // The client retries and succeeds: charged once, for the success.
    await u.client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] });
    expect(await usageCharges(u.accountId)).toHaveLength(1);
  });

  it('charges once for a request whose first attempt failed and whose retry succeeded', async () => {
    const u = await user('1');
    await injectFault(mock, { provider: 'openai', match: 'flaky-once', fault: { type: 'status', status: 500 } });
    const { response } = await u.client.chat.completions.create({ model, messages: [{ role: 'user', content: 'flaky-once' }] }).withResponse();
    const row = await requestRow(response.headers.get('x-request-id')!);
    expect(row.attempts.map((a: { status: number; retryReason?: string }) => [a.status, a.retryReason ?? null])).toEqual([[502, '500'], [200, null]]);
    expect(await usageCharges(u.accountId)).toHaveLength(1);
    expect(response.headers.get('x-tollgate-cost')).toBe(formatCredits(cost(1, 4)));
  });

  it('charges the price in force when the request started, even if it changes mid-flight', async () => {
    await gw.admin('POST', '/models', { alias: 'repriced', providerId: 'openai', upstreamModel: 'gpt-x', contextWindow: 1000, maxOutputTokens: 100, price: TEST_PRICE });
    const u = await user('10');
    // The upstream holds the first request (slow first byte) while the price changes under it.
    await injectFault(mock, { provider: 'openai', model: 'gpt-x', fault: { type: 'slow_first_byte', ms: 3_000 } });
    const inFlight = track(u.client.chat.completions.create({ model: 'repriced', messages: [{ role: 'user', content: 'Hello there gateway' }] }).withResponse());
    await waitFor(() => mock.requests.some((r) => (r.body as { model?: string } | undefined)?.model === 'gpt-x'), { what: 'the first request to reach the upstream' });
    await gw.admin('POST', '/models/repriced/prices', { inputPerMtok: '100', outputPerMtok: '200' });
    const second = await u.client.chat.completions.create({ model: 'repriced', messages: [{ role: 'user', content: 'Hello there gateway' }] }).withResponse();
    expect(second.response.headers.get('x-tollgate-cost')).toBe('0.001500');
    // The new price was in force while the first request was still waiting on the upstream.
    expect(inFlight.done(), 'the first request finished before the price change took effect').toBe(false);
    expect((await inFlight.promise).response.headers.get('x-tollgate-cost')).toBe('0.000015');
  });

  it('keeps the invariants', async () => {
    await quiescent(db);
    await expectMoneyInvariants(db, { noOpenHolds: true });
  });
});

describe('streams', () => {
  it('settle at the end and report cost and balance in the final usage chunk', async () => {
    const u = await user('1');
    const stream = await u.client.chat.completions.create({ model, messages: [{ role: 'user', content: 'x [[reply:10]]' }], stream: true, stream_options: { include_usage: true } });
    let last: any;
    for await (const c of stream) last = c;
    expect(last.usage).toMatchObject({ prompt_tokens: 2, completion_tokens: 10 });
    expect(last.x_tollgate).toEqual({ cost: '0.000022', balance: '0.999978', estimated: false });
    expect(await accountRow(u.accountId)).toEqual({ balance: '999978', held: '0' });
  });

  it('charge only what was produced when the client disconnects, and abort the upstream', async () => {
    const u = await user('1');
    await injectFault(mock, { provider: 'openai', match: 'disconnect-me', fault: { type: 'slow_events', ms: 100 } });
    const ctrl = new AbortController();
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${u.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model, stream: true, messages: [{ role: 'user', content: 'disconnect-me [[reply:50]]' }] }),
      signal: ctrl.signal,
    });
    const reqId = res.headers.get('x-request-id')!;
    const reader = res.body!.getReader();
    let seen = '';
    while (!seen.includes('w3 ')) seen += new TextDecoder().decode((await reader.read()).value);
    ctrl.abort();
    const row = await requestRow(reqId);
    expect(row).toMatchObject({ status: 499, error_code: 'client_disconnected', usage_estimated: true });
    expect(row.completion_tokens).toBeGreaterThanOrEqual(await countTokens('w1 w2 w3 '));
    expect(row.completion_tokens).toBeLessThan(await countTokens('w1 w2 w3 w4 w5 w6 w7 w8 w9 w10 w11 w12 w13 w14 w15 w16 w17 w18 w19 w20 '));
    expect(BigInt(row.cost)).toBe(cost(row.prompt_tokens, row.completion_tokens));
  });

  it('charge what reached the client when the upstream stream is cut, nothing if nothing did', async () => {
    const u = await user('1');
    await injectFault(mock, { provider: 'openai', match: 'cut-late', fault: { type: 'cut_stream', afterEvents: 4 } });
    const err = await readStream(u.client, 'cut-late [[reply:20]]');
    expect(err).toBeInstanceOf(OpenAI.APIError);
    const late = await waitFor(async () => (await db.query<Record<string, any>>('SELECT * FROM requests WHERE account_id = $1 AND status = 502', [u.accountId]))[0], { what: 'the cut stream\'s request row' });
    // Three words reached the client (role chunk + w1 w2 w3): those tokens are billed, by the estimator.
    expect(late).toMatchObject({ error_code: 'upstream_stream_cut', usage_estimated: true, completion_tokens: await countTokens('w1 w2 w3 ') });
    expect(BigInt(late.cost)).toBeGreaterThan(0n);

    await injectFault(mock, { provider: 'openai', match: 'cut-early', times: 0, fault: { type: 'cut_stream', afterEvents: 0 } });
    const before = await accountRow(u.accountId);
    expect(await readStream(u.client, 'cut-early [[reply:20]]')).toBeInstanceOf(OpenAI.APIError);
    await waitFor(async () => (await db.query('SELECT 1 FROM requests WHERE account_id = $1 AND status = 502', [u.accountId])).length === 2, { what: 'the early-cut stream\'s request row' });
    expect(await accountRow(u.accountId)).toEqual({ ...before, held: '0' });
  });

  it('keep the invariants', async () => {
    await quiescent(db);
    await expectMoneyInvariants(db, { noOpenHolds: true });
  });
});

describe('Idempotency-Key', () => {
  it('answers a repeat from the first request and charges once', async () => {
    const u = await user('1');
    const opts = { headers: { 'Idempotency-Key': 'order-42' } };
    const body = { model, messages: [{ role: 'user' as const, content: 'Hello there gateway' }] };
    const first = await u.client.chat.completions.create(body, opts).withResponse();
    const again = await u.client.chat.completions.create(body, opts).withResponse();
    expect(again.data).toEqual(first.data);
    expect(again.response.headers.get('idempotent-replayed')).toBe('true');
    expect(again.response.headers.get('x-tollgate-cost')).toBe('0.000015');
    expect(await usageCharges(u.accountId)).toHaveLength(1);
    expect(await accountRow(u.accountId)).toEqual({ balance: '999985', held: '0' });
  });

  it('answers 409 while the first is still running, and 422 for a different body', async () => {
    const u = await user('1');
    await injectFault(mock, { provider: 'openai', match: 'slow-idem', fault: { type: 'slow_first_byte', ms: 3_000 } });
    const opts = { headers: { 'Idempotency-Key': 'slow-1' } };
    const first = track(u.client.chat.completions.create({ model, messages: [{ role: 'user', content: 'slow-idem' }] }, opts));
    await reachedUpstream('slow-idem');
    const dup = await u.client.chat.completions.create({ model, messages: [{ role: 'user', content: 'slow-idem' }] }, opts).catch((e) => e);
    expect(first.done(), 'the first request finished before the repeat arrived').toBe(false);
    expect(dup.status).toBe(409);
    expect(dup.error.code).toBe('idempotency_key_in_progress');
    await first.promise;
    const other = await u.client.chat.completions.create({ model, messages: [{ role: 'user', content: 'something else' }] }, opts).catch((e) => e);
    expect(other.status).toBe(422);
    expect(other.error.code).toBe('idempotency_key_reused');
  });

  it('lets a failed first request be retried with the same key', async () => {
    const u = await user('1');
    await injectFault(mock, { provider: 'openai', match: 'flaky-idem', times: 3, fault: { type: 'status', status: 503 } });
    const opts = { headers: { 'Idempotency-Key': 'retry-me' } };
    const fail = await u.client.chat.completions.create({ model, messages: [{ role: 'user', content: 'flaky-idem' }] }, opts).catch((e) => e);
    expect(fail.status).toBe(503);
    const ok = await u.client.chat.completions.create({ model, messages: [{ role: 'user', content: 'flaky-idem' }] }, opts).withResponse();
    expect(ok.response.headers.get('idempotent-replayed')).toBeNull();
    expect(ok.data.choices[0]!.message.content).toBe('Mock reply to: flaky-idem');
  });

  it('replays a streamed answer as a stream', async () => {
    const u = await user('1');
    const opts = { headers: { 'Idempotency-Key': 'stream-1' } };
    const read = async () => {
      const s = await u.client.chat.completions.create({ model, stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'x [[reply:5]]' }] }, opts);
      let text = '';
      let usage;
      for await (const c of s) {
        text += c.choices[0]?.delta.content ?? '';
        if (c.usage) usage = c.usage;
      }
      return { text, usage };
    };
    const a = await read();
    expect(await read()).toEqual(a);
    expect(a.text).toBe('w1 w2 w3 w4 w5');
    expect(await usageCharges(u.accountId)).toHaveLength(1);
  });
});

describe('reading credits and usage', () => {
  it('lets a user read their balance, usage and one request', async () => {
    const u = await user('2');
    const { response } = await u.client.chat.completions.create({ model, messages: [{ role: 'user', content: 'Hello there gateway' }] }).withResponse();
    const get = async (path: string) => (await fetch(`${gw.url}${path}`, { headers: { authorization: `Bearer ${u.key}` } })).json() as Promise<any>;
    expect(await get('/v1/credits')).toMatchObject({ balance: '1.999985', held: '0.000000', available: '1.999985' });
    const usage = await get('/v1/usage');
    expect(usage.totals).toMatchObject({ requests: 1, prompt_tokens: 3, completion_tokens: 6, cost: '0.000015' });
    expect(usage.by_model).toEqual([{ model, requests: 1, prompt_tokens: 3, completion_tokens: 6, cost: '0.000015' }]);
    const one = await get(`/v1/requests/${response.headers.get('x-request-id')}`);
    expect(one).toMatchObject({ object: 'request', cost: '0.000015', status: 200 });
    // When the request finished, not when a settler happened to write its row (later, by its batching).
    expect(Date.parse(one.finished_at) - Date.parse(one.started_at)).toBe(one.latency_ms);
    const detail = await gw.admin('GET', `/requests/${one.id}`);
    expect(Date.parse(detail.finishedAt)).toBe(Date.parse(one.finished_at));
  });

  it('lets admins grant, adjust and read the ledger; a debit never goes below what is held', async () => {
    const u = await user('1');
    expect(await gw.admin('POST', `/accounts/${u.accountId}/grants`, { amount: '5.5', note: 'top-up', idempotencyKey: 'inv-1' })).toMatchObject({ applied: true, balance: '6.500000' });
    expect(await gw.admin('POST', `/accounts/${u.accountId}/grants`, { amount: '5.5', note: 'top-up', idempotencyKey: 'inv-1' })).toMatchObject({ applied: false, balance: '6.500000' });
    await gw.admin('POST', `/accounts/${u.accountId}/adjustments`, { amount: '-0.5', note: 'correction' });
    const tooMuch = await fetch(`${gw.url}/admin/api/accounts/${u.accountId}/adjustments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gw.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ amount: '-100' }),
    });
    expect(tooMuch.status).toBe(400);
    expect(((await tooMuch.json()) as { error: { code: string } }).error.code).toBe('insufficient_balance');
    const ledger = await gw.admin('GET', `/accounts/${u.accountId}/ledger`);
    expect(ledger.data.map((l: { kind: string; amountCredits: string }) => [l.kind, l.amountCredits])).toEqual([
      ['adjustment', '-0.500000'],
      ['grant', '5.500000'],
      ['grant', '1.000000'],
    ]);
    await expectMoneyInvariants(db);
  });
});

describe('the sweeper', () => {
  it('releases holds abandoned by a dead instance after their expiry', async () => {
    const u = await user('1');
    await db.query("INSERT INTO holds (request_id, account_id, amount, instance_id, expires_at) VALUES ('req_dead', $1, 500, 'dead-1', now() - interval '1 second')", [u.accountId]);
    await db.query('UPDATE accounts SET held = held + 500 WHERE id = $1', [u.accountId]);
    expect(await gw.gw.credits.sweep()).toBe(1);
    expect(await accountRow(u.accountId)).toEqual({ balance: '1000000', held: '0' });
    expect(await db.query("SELECT status, error_code, instance_id, cost::text FROM requests WHERE id = 'req_dead'")).toEqual([{ status: 0, error_code: 'hold_expired', instance_id: 'dead-1', cost: '0' }]);
    expect(await gw.gw.credits.sweep()).toBe(0);
    await quiescent(db);
    await expectMoneyInvariants(db, { noOpenHolds: true });
  });

  it("releases a dead instance's expired lease, but only once its settlements in the stream are written", async () => {
    const u = await user('1');
    await db.query("INSERT INTO leases (account_id, instance_id, amount, expires_at) VALUES ($1, 'dead-2', 700, now() - interval '1 second')", [u.accountId]);
    await db.query('UPDATE accounts SET held = held + 700 WHERE id = $1', [u.accountId]);
    // The stream still holds a settlement of dead-2's (its lease must pay for it).
    const unwritten = `${gw.gw.env.REDIS_KEY_PREFIX}{credits}:unwritten`;
    await gw.redis!.hset(unwritten, 'dead-2', '1');
    expect(await gw.gw.credits.sweep()).toBe(0);
    expect(await db.query("SELECT amount::text FROM leases WHERE instance_id = 'dead-2'")).toEqual([{ amount: '700' }]);
    await gw.redis!.hdel(unwritten, 'dead-2');
    expect(await gw.gw.credits.sweep()).toBe(1);
    expect(await accountRow(u.accountId)).toEqual({ balance: '1000000', held: '0' });
    await expectMoneyInvariants(db);
  });
});

describe('tags', () => {
  it('records x-tollgate-tags on the request and filters usage by them', async () => {
    const u = await user('1');
    await u.client.chat.completions.create({ model, messages: [{ role: 'user', content: 'tagged' }] }, { headers: { 'x-tollgate-tags': 'team=search, feature=auto%20complete' } });
    await u.client.chat.completions.create({ model, messages: [{ role: 'user', content: 'untagged' }] });
    const get = async (path: string) => (await fetch(`${gw.url}${path}`, { headers: { authorization: `Bearer ${u.key}` } })).json() as Promise<any>;
    const usage = await get('/v1/usage?tag=team:search');
    expect(usage.totals.requests).toBe(1);
    expect(usage.requests[0].tags).toEqual({ team: 'search', feature: 'auto complete' });
    const bad = await u.client.chat.completions.create({ model, messages: [{ role: 'user', content: 'x' }] }, { headers: { 'x-tollgate-tags': 'bad key=1' } }).catch((e) => e);
    expect(bad.status).toBe(400);
    expect(bad.error.param).toBe('x-tollgate-tags');
  });
});
