import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import type { MockUpstream } from '../mock-upstream/server.js';
import { CHAT_MODELS, createUserWithKey } from '../helpers/catalogue.js';
import type { TestGateway } from '../helpers/gateway.js';
import { useGatewayHarness } from '../helpers/harness.js';
import { injectFault } from '../helpers/mock-control.js';
import { ownRedis } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait.js';

/**
 * A request whose limit windows had ample room when this instance last saw them goes ahead while
 * its limits are being taken: its upstream call overlaps the Redis round trip. The take still
 * decides: a refusal cancels the call and answers 429, charging nothing. A Redis of the test's
 * own, so its writes can be paused without touching other tests.
 */
const redis = await ownRedis();
afterAll(() => redis.kill());

let gw: TestGateway;
let mock: MockUpstream;
useGatewayHarness({ env: { REDIS_URL: redis.url } }, (h) => ({ gw, mock } = h));

const model = CHAT_MODELS.openai;
let watcher: Redis;
afterAll(() => watcher?.disconnect());

async function userOnPlan(plan: Record<string, unknown>) {
  const id = `p${Math.random().toString(36).slice(2, 8)}`;
  await gw.admin('POST', '/plans', { id, name: id, ...plan });
  return createUserWithKey(gw, { planId: id, credits: '1' });
}

function chat(key: string, content: string, headers: Record<string, string> = {}) {
  return fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model, messages: [{ role: 'user', content }] }),
  });
}

const reached = (content: string) => mock.requests.some((r) => JSON.stringify(r.body).includes(content));

async function balance(key: string): Promise<string> {
  const res = await fetch(`${gw.url}/v1/credits`, { headers: { authorization: `Bearer ${key}` } });
  return ((await res.json()) as { balance: string }).balance;
}

describe('a request going ahead while its limits are taken', () => {
  it('reaches the upstream before Redis has answered its take, and is answered with the take’s own figures', async () => {
    watcher ??= new Redis(redis.url);
    const { key, user } = await userOnPlan({ rpm: 100 });
    const window = `${gw.gw.env.REDIS_KEY_PREFIX}rl:rpm:${user.id}`;
    // The first request of a window waits for its take: this instance has not seen the window yet.
    expect((await chat(key, 'ahead-first')).status).toBe(200);
    expect(await watcher.get(window)).toBe('1');

    // Redis takes no writes now (reads still work): the second request's take waits in Redis.
    await watcher.call('CLIENT', 'PAUSE', '30000', 'WRITE');
    let answer: Response | undefined;
    const second = chat(key, 'ahead-second').then((r) => (answer = r));
    try {
      await waitFor(() => reached('ahead-second'), { what: 'the second request to reach the upstream while its take waits' });
      expect(await watcher.get(window), 'the take has not run yet').toBe('1');
      expect(answer, 'answered before its limits were taken').toBeUndefined();
    } finally {
      await watcher.call('CLIENT', 'UNPAUSE');
    }
    const res = await second;
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    // The figures are the take's, from Redis (not the in-memory insurance limiter's).
    expect(res.headers.get('x-ratelimit-remaining-requests')).toBe('98');
    expect(await watcher.get(window)).toBe('2');
  });

  it('is refused when other instances used the room in the meantime: the upstream call is cancelled, 429, nothing charged', async () => {
    watcher ??= new Redis(redis.url);
    const { key, user } = await userOnPlan({ rpm: 8 });
    const window = `${gw.gw.env.REDIS_KEY_PREFIX}rl:rpm:${user.id}`;
    expect((await chat(key, 'refused-first')).status).toBe(200);
    const before = await balance(key);
    // Other instances take the rest of the window; this one last saw 7 of 8 free.
    await watcher.incrby(window, 7);
    // The upstream would not answer for minutes: only a cancelled call lets the refusal through.
    await injectFault(mock, { provider: 'openai', match: 'refused-second', fault: { type: 'slow_first_byte', ms: 600_000 } });
    const res = await chat(key, 'refused-second');
    expect(res.status).toBe(429);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('rate_limit_exceeded');
    expect(reached('refused-second'), 'it went ahead to the upstream').toBe(true);
    expect(await watcher.get(window), 'a refused take takes nothing').toBe('8');
    expect(await balance(key)).toBe(before);
  });

  it('waits for its take when the window is short of room, so a refusal never reaches the upstream', async () => {
    const { key } = await userOnPlan({ rpm: 4 });
    // 1 waits (window not seen), 2 and 3 go ahead (at least a quarter left after them), 4 waits, 5 is refused by its take.
    for (const n of [1, 2, 3, 4]) expect((await chat(key, `short-${n}`)).status).toBe(200);
    const refused = await chat(key, 'short-5');
    expect(refused.status).toBe(429);
    expect(reached('short-5'), 'a request short of room waited for its take').toBe(false);
  });

  it('a refusal is the answer even when a later step failed first (as if it had waited)', async () => {
    watcher ??= new Redis(redis.url);
    const id = `p${Math.random().toString(36).slice(2, 8)}`;
    await gw.admin('POST', '/plans', { id, name: id, rpm: 8 });
    const { key, user } = await createUserWithKey(gw, { planId: id, credits: '0' });
    // Limits come before the credit hold: the first request takes its limit, then finds no credit.
    expect((await chat(key, 'broke-first')).status).toBe(402);
    await watcher.incrby(`${gw.gw.env.REDIS_KEY_PREFIX}rl:rpm:${user.id}`, 7);
    // The second goes ahead and fails its hold before Redis refuses its take: the refusal is the answer.
    const res = await chat(key, 'broke-second');
    expect(res.status).toBe(429);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('rate_limit_exceeded');
  });

  /** A user whose window this instance saw with room (after `first`), then used up by other instances. */
  async function seenWithRoomThenUsedUp(first: Record<string, string> = {}) {
    watcher ??= new Redis(redis.url);
    const { key, user } = await userOnPlan({ rpm: 8 });
    expect((await chat(key, 'used-up-first', first)).status).toBe(200);
    await watcher.incrby(`${gw.gw.env.REDIS_KEY_PREFIX}rl:rpm:${user.id}`, 7);
    return key;
  }

  it('streams never go ahead: they write to their client as the upstream answers', async () => {
    const key = await seenWithRoomThenUsedUp();
    const stream = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model, stream: true, messages: [{ role: 'user', content: 'stream-second' }] }),
    });
    expect(stream.status).toBe(429);
    expect(reached('stream-second')).toBe(false);
  });

  it('requests with an Idempotency-Key never go ahead: a repeat is answered from the stored answer at once', async () => {
    const key = await seenWithRoomThenUsedUp({ 'idempotency-key': 'go-ahead-1' });
    const repeat = await chat(key, 'used-up-first', { 'idempotency-key': 'go-ahead-1' });
    expect(repeat.status).toBe(429);
    expect(repeat.headers.get('idempotent-replayed')).toBeNull();
  });
});
