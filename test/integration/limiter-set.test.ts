import { Redis } from 'ioredis';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LimiterSet, type LimitTake } from '../../src/limits/limiters.js';
import { countScriptCalls } from '../helpers/script-calls.js';
import { TEST_REDIS_URL } from '../helpers/env.js';
import { ownRedis } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait.js';

/**
 * The shared limits against a real Redis: every request admitted in one moment goes in one
 * script call, a request takes all of its limits or none, corrections are summed per window,
 * and the windows are the ones rate-limiter-flexible keeps (same names and values).
 */
let redis: Redis;
/** Script calls sent on `redis` (counted on the client; Redis itself is real). */
let scripts: { readonly count: number };

beforeAll(async () => {
  redis = new Redis(TEST_REDIS_URL, { enableAutoPipelining: false });
  await new Promise((r) => redis.once('ready', r));
  scripts = countScriptCalls(redis);
});
afterAll(() => redis.disconnect());

const prefix = () => `lim-test:${Math.random().toString(36).slice(2)}:`;
const take = (kind: string, key: string, points: number, limit: number): LimitTake => ({ kind, key, points, limit, durationSeconds: 60 });
/** A window as rate-limiter-flexible reads it. */
const consumed = async (p: string, kind: string, key: string) => (await new RateLimiterRedis({ storeClient: redis, keyPrefix: `${p}rl:${kind}`, points: 1, duration: 60 }).get(key))?.consumedPoints ?? 0;

describe('limits in Redis', () => {
  it('requests admitted together share one script call, and exactly the limit is admitted', async () => {
    const p = prefix();
    const set = new LimiterSet(redis, p, 1);
    await set.takeAll([take('rpm', 'warm', 1, 10)]); // the script is loaded
    const before = scripts.count;
    const outcomes = await Promise.all(Array.from({ length: 50 }, () => set.takeAll([take('rpm', 'u1', 1, 30), take('tpm', 'u1', 10, 100_000)])));
    expect(scripts.count - before).toBeLessThanOrEqual(4); // at most one per batch in flight, not one per request or limit
    expect(outcomes.filter((o) => o.ok)).toHaveLength(30);
    expect(await consumed(p, 'rpm', 'u1')).toBe(30);
    // Refused requests took nothing, not even from the limit that had room.
    expect(await consumed(p, 'tpm', 'u1')).toBe(300);
    const refused = outcomes.find((o) => !o.ok);
    expect(refused).toMatchObject({ ok: false, refused: 0, window: { consumed: 30 } });
    expect(refused!.ok === false && refused!.window.msBeforeNext).toBeGreaterThan(50_000);
  });

  it('a request takes all of its limits or none', async () => {
    const p = prefix();
    const set = new LimiterSet(redis, p, 1);
    expect(await set.takeAll([take('rpm', 'u', 1, 5), take('tpm', 'u', 900, 1000)])).toMatchObject({ ok: true, windows: [{ consumed: 1 }, { consumed: 900 }] });
    // The token limit has 100 left: the request is refused by it, and its request is not counted.
    expect(await set.takeAll([take('rpm', 'u', 1, 5), take('tpm', 'u', 200, 1000)])).toMatchObject({ ok: false, refused: 1, window: { consumed: 900 } });
    expect(await consumed(p, 'rpm', 'u')).toBe(1);
    expect(await consumed(p, 'tpm', 'u')).toBe(900);
    // A window rate-limiter-flexible started is taken from where it stands (a rolling upgrade keeps its counts).
    await new RateLimiterRedis({ storeClient: redis, keyPrefix: `${p}rl:rpm`, points: 5, duration: 60 }).consume('old', 4);
    expect(await set.takeAll([take('rpm', 'old', 1, 5)])).toMatchObject({ ok: true, windows: [{ consumed: 5 }] });
    expect(await set.takeAll([take('rpm', 'old', 1, 5)])).toMatchObject({ ok: false });
  });

  it('corrections are summed per window, sent together, and never go below zero or revive an ended window', async () => {
    const p = prefix();
    const set = new LimiterSet(redis, p, 1);
    const t = take('tpm', 'u', 1000, 100_000);
    await set.takeAll([t]);
    const before = scripts.count;
    for (let i = 0; i < 10; i++) set.adjust(t, -90); // ten requests used 10 tokens of the 100 each held
    await waitFor(async () => (await consumed(p, 'tpm', 'u')) === 100, { what: 'the corrections to land' });
    expect(scripts.count - before).toBe(1);
    set.adjust(t, -5_000);
    await waitFor(async () => (await consumed(p, 'tpm', 'u')) === 0, { what: 'the window to stop at zero' });
    expect(await redis.pttl(`${p}rl:tpm:u`)).toBeGreaterThan(50_000); // the window keeps its end
    set.adjust(take('tpm', 'gone', 1, 10), 50);
    set.adjust(t, 7);
    await waitFor(async () => (await consumed(p, 'tpm', 'u')) === 7, { what: 'the next correction' });
    expect(await redis.exists(`${p}rl:tpm:gone`)).toBe(0);
  });

  it('a correction made before a request is admitted counts for it, and rides in its call', async () => {
    const p = prefix();
    const set = new LimiterSet(redis, p, 1);
    const big = take('tpm', 'u', 2000, 3000);
    expect(await set.takeAll([big])).toMatchObject({ ok: true });
    const before = scripts.count;
    set.adjust(big, -1990); // the request used 10 tokens
    expect(await set.takeAll([big])).toMatchObject({ ok: true, windows: [{ consumed: 2010 }] });
    expect(scripts.count - before).toBe(1);
  });

  it('room to go ahead: only in windows seen with a quarter of their limit left after the request, counted at once', async () => {
    const p = prefix();
    const set = new LimiterSet(redis, p, 1);
    const rpm = take('rpm', 'u', 1, 8);
    const tpm = take('tpm', 'u', 100, 1000);
    expect(set.roomFor([rpm, tpm]), 'windows not seen yet').toBe(false);
    expect(await set.takeAll([rpm, tpm])).toMatchObject({ ok: true });
    // Seen: rpm 1 of 8, tpm 100 of 1000. Each request going ahead counts against that view at once.
    expect(set.roomFor([rpm, tpm])).toBe(true); // rpm 2, tpm 200
    expect(set.roomFor([rpm, tpm])).toBe(true); // rpm 3, tpm 300
    expect(set.roomFor([rpm, tpm])).toBe(true); // rpm 4, tpm 400
    expect(set.roomFor([rpm, tpm]), 'rpm would leave 3 of 8').toBe(true); // rpm 5
    expect(set.roomFor([rpm, tpm]), 'rpm would leave 2 of 8').toBe(true); // rpm 6
    expect(set.roomFor([rpm, tpm]), 'rpm would leave 1 of 8').toBe(false);
    // A take refreshes the view from Redis (which saw one request, then this one).
    expect(await set.takeAll([rpm])).toMatchObject({ ok: true, windows: [{ consumed: 2 }] });
    expect(set.roomFor([rpm])).toBe(true);
    // A refusal shows a full window: no going ahead.
    await redis.incrby(`${p}rl:rpm:u`, 6);
    expect(await set.takeAll([rpm])).toMatchObject({ ok: false });
    expect(set.roomFor([rpm])).toBe(false);
    // A window that has ended is not known any more.
    const short: LimitTake = { kind: 'rps', key: 'u', points: 1, limit: 100, durationSeconds: 1 };
    expect(await set.takeAll([short])).toMatchObject({ ok: true });
    expect(set.roomFor([short])).toBe(true);
    await waitFor(() => !set.roomFor([short]), { what: 'the one-second window to end' });
    // Without Redis there is nothing to wait for, so nothing goes ahead.
    expect(new LimiterSet(undefined, p, 1).roomFor([rpm])).toBe(false);
  });
});

describe('limits without Redis', () => {
  it('while Redis is down, in-memory insurance limits take over with the limit divided among the instances', async () => {
    const own = await ownRedis();
    const r = new Redis(own.url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => 50 });
    r.on('error', () => undefined);
    try {
      await new Promise((res) => r.once('ready', res));
      const set = new LimiterSet(r, prefix(), 3);
      expect(await set.takeAll([take('rpm', 'u', 1, 9)])).toMatchObject({ ok: true });
      await own.kill();
      await waitFor(() => r.status !== 'ready', { what: 'the client to see Redis gone' });
      const outcomes = [];
      for (let i = 0; i < 5; i++) outcomes.push(await set.takeAll([take('rpm', 'u', 1, 9)]));
      expect(outcomes.map((o) => o.ok)).toEqual([true, true, true, false, false]); // 9 / 3 instances
    } finally {
      r.disconnect();
      await own.kill().catch(() => undefined);
    }
  });

  it('with no Redis at all, memory holds the whole limit, all or none', async () => {
    const set = new LimiterSet(undefined, prefix(), 3);
    expect(await set.takeAll([take('rpm', 'u', 1, 4), take('tpm', 'u', 60, 100)])).toMatchObject({ ok: true, windows: [{ consumed: 1 }, { consumed: 60 }] });
    expect(await set.takeAll([take('rpm', 'u', 1, 4), take('tpm', 'u', 60, 100)])).toMatchObject({ ok: false, refused: 1, window: { consumed: 60 } });
    expect(await set.takeAll([take('rpm', 'u', 1, 4), take('tpm', 'u', 40, 100)])).toMatchObject({ ok: true, windows: [{ consumed: 2 }, { consumed: 100 }] });
  });
});
