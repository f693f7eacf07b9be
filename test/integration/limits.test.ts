import OpenAI from 'openai';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { describe, expect, it } from 'vitest';
import type { MockUpstream } from '../mock-upstream/server.js';
import { CHAT_MODELS, createUserWithKey } from '../helpers/catalogue.js';
import type { TestGateway } from '../helpers/gateway.js';
import { useGatewayHarness } from '../helpers/harness.js';
import { injectFault } from '../helpers/mock-control.js';
import { waitFor } from '../helpers/wait.js';

let gw: TestGateway;
let mock: MockUpstream;
useGatewayHarness({}, (h) => ({ gw, mock } = h));

const model = CHAT_MODELS.openai;
const ask = { model, messages: [{ role: 'user' as const, content: 'hi' }] };

/**
 * Tokens the gateway's shared per-minute budget holds for this user right now, read from Redis
 * with rate-limiter-flexible itself (the correction after a request is applied in the background).
 */
async function tokensTaken(userId: string, tpm: number): Promise<number> {
  const limiter = new RateLimiterRedis({ storeClient: gw.redis!, keyPrefix: `${gw.gw.env.REDIS_KEY_PREFIX}rl:tpm`, points: tpm, duration: 60 });
  return (await limiter.get(userId))?.consumedPoints ?? 0;
}

async function userOnPlan(plan: Record<string, unknown>) {
  const id = `p${Math.random().toString(36).slice(2, 8)}`;
  await gw.admin('POST', '/plans', { id, name: id, ...plan });
  const u = await createUserWithKey(gw, { planId: id, credits: '100' });
  return { ...u, client: new OpenAI({ apiKey: u.key, baseURL: `${gw.url}/v1`, maxRetries: 0 }) };
}

describe('per-plan limits', () => {
  it('requests per minute: the next one is a 429 with Retry-After and OpenAI rate-limit headers', async () => {
    const { client } = await userOnPlan({ rpm: 3 });
    const first = await client.chat.completions.create(ask).withResponse();
    expect(first.response.headers.get('x-ratelimit-limit-requests')).toBe('3');
    expect(first.response.headers.get('x-ratelimit-remaining-requests')).toBe('2');
    expect(first.response.headers.get('x-ratelimit-reset-requests')).toMatch(/^(\d+(\.\d)?s|1m0s)$/);
    await client.chat.completions.create(ask);
    await client.chat.completions.create(ask);
    const err = await client.chat.completions.create(ask).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err.error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limit_exceeded' });
    expect(Number(err.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(err.headers.get('x-ratelimit-remaining-requests')).toBe('0');
  });

  it('tokens per minute: admitted on an estimate, corrected with real usage', async () => {
    const { client, user } = await userOnPlan({ tpm: 3000 });
    // Estimate ≈ 1 prompt token + 2000 output: admitted; real usage is ~8 tokens, so the
    // budget is given back and the next request of the same size fits too.
    const a = await client.chat.completions.create({ ...ask, max_tokens: 2000 }).withResponse();
    expect(a.response.headers.get('x-ratelimit-limit-tokens')).toBe('3000');
    const corrected = await waitFor(async () => {
      const taken = await tokensTaken(user.id, 3000);
      return taken < 2000 && taken;
    }, { what: 'the token budget to be corrected with real usage' });
    expect(corrected).toBe(a.data.usage!.total_tokens);
    await client.chat.completions.create({ ...ask, max_tokens: 2000 });
    // Two in flight at once cannot both fit: the estimate is taken before either finishes. The
    // upstream holds the first (slow first byte) until the second has been refused.
    await injectFault(mock, { provider: 'openai', match: 'slow-tpm', fault: { type: 'slow_first_byte', ms: 3_000 } });
    let slowDone = false;
    const slow = client.chat.completions.create({ model, max_tokens: 2000, messages: [{ role: 'user', content: 'slow-tpm' }] }).finally(() => (slowDone = true));
    await waitFor(() => mock.requests.some((r) => JSON.stringify(r.body).includes('slow-tpm')), { what: 'the slow request to reach the upstream' });
    const err = await client.chat.completions.create({ ...ask, max_tokens: 2000 }).catch((e) => e);
    expect(slowDone, 'the slow request finished before the second was admitted').toBe(false);
    expect(err.status).toBe(429);
    expect(err.error.code).toBe('tokens_per_minute_exceeded');
    await slow;
    const tooBig = await client.chat.completions.create({ ...ask, max_tokens: 5000 }).catch((e) => e);
    expect(tooBig.status).toBe(429);
    expect(tooBig.error.message).toMatch(/more than the 3000 tokens per minute/);
  });

  it('concurrent streams per user', async () => {
    const { key } = await userOnPlan({ maxConcurrentStreams: 2 });
    await injectFault(mock, { provider: 'openai', match: 'long-stream', times: 2, fault: { type: 'slow_events', ms: 100 } });
    const open = async () => {
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model, stream: true, messages: [{ role: 'user', content: 'long-stream [[reply:8]]' }] }),
      });
      return res;
    };
    const s1 = await open();
    const s2 = await open();
    const third = await open();
    expect(third.status).toBe(429);
    expect(((await third.json()) as { error: { code: string } }).error.code).toBe('concurrent_streams_exceeded');
    await s1.text();
    await s2.text();
    // The finished streams' leases are released in the background: a refused open takes nothing
    // (no other limit on this plan), so trying until one is admitted is safe.
    const fourth = await waitFor(async () => {
      const res = await open();
      if (res.status === 200) return res;
      await res.text();
      return undefined;
    }, { what: 'a stream to be admitted once the first two finished' });
    await fourth.text();
  });

  it('requests per minute per provider: one provider full does not block another', async () => {
    const { client } = await userOnPlan({ rpmPerProvider: 2 });
    await client.chat.completions.create(ask);
    await client.chat.completions.create(ask);
    const err = await client.chat.completions.create(ask).catch((e) => e);
    expect(err.status).toBe(429);
    expect(err.error.message).toMatch(/to OpenAI/);
    const other = await client.chat.completions.create({ ...ask, model: CHAT_MODELS.mistral });
    expect(other.choices[0]!.message.content).toBe('Mock reply to: hi');
  });
});

describe('provider key quotas', () => {
  it('a key at its quota is skipped for the next; when all are at quota the answer is a 429', async () => {
    await gw.admin('POST', '/providers', { id: 'quota', kind: 'openai', baseUrl: mock.baseUrl('openai'), keys: [{ secret: 'quota-key-A', rpmLimit: 2 }, { secret: 'quota-key-B', rpmLimit: 2 }] });
    await gw.admin('POST', '/models', { alias: 'quota-model', providerId: 'quota', upstreamModel: 'q', contextWindow: 1000, maxOutputTokens: 100, price: { inputPerMtok: '1', outputPerMtok: '1' } });
    const { client } = await userOnPlan({});
    const used: string[] = [];
    for (let i = 0; i < 4; i++) {
      await client.chat.completions.create({ ...ask, model: 'quota-model' });
      used.push(String(mock.requests.at(-1)!.headers.authorization));
    }
    expect(used.filter((a) => a.endsWith('A'))).toHaveLength(2);
    expect(used.filter((a) => a.endsWith('B'))).toHaveLength(2);
    const err = await client.chat.completions.create({ ...ask, model: 'quota-model' }).catch((e) => e);
    expect(err.status).toBe(429);
    expect(err.error.message).toMatch(/at its request quota/);
  });
});
