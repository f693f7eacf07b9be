import { Cluster } from 'ioredis';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { RedisClient } from '../store/redis.js';
import { RedisScript } from '../store/redis-script.js';
import { Batcher } from '../util/batcher.js';

/** Points to add to a take's window once the request's real usage is known. */
interface Correction {
  take: LimitTake;
  points: number;
}

/** One limit a request takes from: a fixed window of `durationSeconds` that holds `limit` points. */
export interface LimitTake {
  kind: string;
  key: string;
  points: number;
  limit: number;
  durationSeconds: number;
}

/** A window after a take: the points consumed in it and how long until it resets. */
export interface WindowState {
  consumed: number;
  msBeforeNext: number;
}

/** Every take admitted (one window each, in order), or the first that refused with its window as it stands (nothing taken). */
export type TakeOutcome = { ok: true; windows: WindowState[] } | { ok: false; refused: number; window: WindowState };

// ARGV: the number of corrections and the points each adds (negative: given back); then the
// number of requests, per request its number of takes, and per take (points, limit, window ms).
// KEYS: the corrected windows, then every take's window, in order. A correction leaves a window
// that has ended alone (it belonged to it) and none below zero; it is applied before the takes,
// so a request sees every correction made before it was admitted. A request takes all of its
// limits or none, so a refusal never consumes what another limit of the same request had room
// for. Returns per request 0 then (consumed, ms left) per take, or the refusing take's position
// then its window. Windows are integers with an expiry, as rate-limiter-flexible keeps them
// (same names), so a rolling upgrade keeps every count.
const TAKE = new RedisScript(`local nc = tonumber(ARGV[1])
for i = 1, nc do
  if redis.call('EXISTS', KEYS[i]) == 1 and redis.call('INCRBY', KEYS[i], ARGV[1 + i]) < 0 then redis.call('SET', KEYS[i], 0, 'KEEPTTL') end
end
local out = {}
local a, k = nc + 3, nc + 1
for _ = 1, tonumber(ARGV[nc + 2]) do
  local n = tonumber(ARGV[a])
  local refused = 0
  for t = 0, n - 1 do
    local i = a + 1 + 3 * t
    if tonumber(redis.call('GET', KEYS[k + t]) or '0') + tonumber(ARGV[i]) > tonumber(ARGV[i + 1]) then
      refused = t + 1
      break
    end
  end
  out[#out + 1] = refused
  if refused > 0 then
    local key = KEYS[k + refused - 1]
    out[#out + 1] = tonumber(redis.call('GET', key) or '0')
    out[#out + 1] = redis.call('PTTL', key)
  else
    for t = 0, n - 1 do
      local key, i = KEYS[k + t], a + 1 + 3 * t
      out[#out + 1] = redis.call('INCRBY', key, ARGV[i])
      local ttl = redis.call('PTTL', key)
      if ttl < 0 then
        ttl = tonumber(ARGV[i + 2])
        redis.call('PEXPIRE', key, ttl)
      end
      out[#out + 1] = ttl
    end
  end
  a = a + 1 + 3 * n
  k = k + n
end
return out`);

/**
 * Corrections go with the next batch of takes (in front of it), or on their own after this long
 * when no request comes: they only move a window by the difference between a request's estimate
 * and its real usage, and riding along costs neither the gateway nor Redis a call of its own.
 */
const CORRECTION_DELAY_MS = 20;

/** How many requests' limits go to Redis in one script call, and how many calls may be in flight. */
const BATCH = { maxBatch: 128, maxInFlight: 4 };

/**
 * A request may go ahead while its limits are being taken (roomFor) only when every window it
 * takes from had at least this share of its limit left, after the request, when this instance
 * last saw it: another instance would have to use that much in between for the take to refuse.
 */
const EARLY_ROOM = 0.25;

/** Windows this instance remembers having seen; past it, windows that have ended are forgotten. */
const SEEN_MAX = 10_000;

/**
 * Fixed-window limits shared by every instance, in Redis. The limits of every request admitted
 * in the same event-loop turn go in one script call (one round trip and one command for the
 * lot, however many requests and limits), and token corrections are summed per window and sent
 * in front of the next batch (or on their own when none comes). On a Redis Cluster, whose
 * windows live on different nodes, each window is its own call, corrections are sent on their
 * own, and a request's takes are given back when another of them refuses.
 *
 * When Redis is not ready or a call fails, in-memory insurance limiters take over at once
 * (points divided by `insuranceDivisor`, the expected number of instances, so the total stays
 * near the limit while Redis is away); without Redis they are the limits.
 */
export class LimiterSet {
  private readonly memory = new Map<string, RateLimiterMemory>();
  private readonly batcher: Batcher<LimitTake[], TakeOutcome> | undefined;
  private corrections = new Map<string, Correction>();
  private correctionScheduled = false;
  /** Each window as this instance last saw it in Redis (points consumed, when it ends), plus what it took since. */
  private readonly seen = new Map<string, { consumed: number; endsAt: number }>();

  constructor(
    private readonly redis: RedisClient | undefined,
    private readonly prefix: string,
    private readonly insuranceDivisor: number,
  ) {
    if (redis && !(redis instanceof Cluster)) this.batcher = new Batcher((requests) => this.takeInRedis(redis, requests, this.takeCorrections()), BATCH);
  }

  /** Takes every limit of one request, or none of them. */
  async takeAll(takes: LimitTake[]): Promise<TakeOutcome> {
    if (takes.length === 0) return { ok: true, windows: [] };
    const redis = this.redis;
    if (!redis) return this.takeInMemory(takes, 1);
    if (redis.status !== 'ready') return this.takeInMemory(takes, this.insuranceDivisor);
    if (this.batcher) return this.batcher.submit(takes);
    return this.takeEachInCluster(redis, takes);
  }

  /**
   * Whether every window of `takes` had ample room (EARLY_ROOM of its limit, after these takes)
   * when this instance last saw it in Redis, and has not ended since: the request may then go
   * ahead while takeAll runs, since a refusal would need other instances to use that room in
   * between. When true, the points are counted against that view at once, so requests going
   * ahead together cannot all count on the same room. False for a window not seen yet.
   */
  roomFor(takes: LimitTake[]): boolean {
    if (!this.redis) return false;
    const now = Date.now();
    for (const t of takes) {
      const w = this.seen.get(this.windowKey(t));
      if (!w || w.endsAt <= now || t.limit - w.consumed - t.points < t.limit * EARLY_ROOM) return false;
    }
    for (const t of takes) this.seen.get(this.windowKey(t))!.consumed += t.points;
    return true;
  }

  /** Remembers a window as Redis answered it. */
  private see(t: LimitTake, w: WindowState): void {
    const key = this.windowKey(t);
    const now = Date.now();
    if (this.seen.size >= SEEN_MAX && !this.seen.has(key)) {
      for (const [k, v] of this.seen) if (v.endsAt <= now) this.seen.delete(k);
    }
    if (this.seen.size < SEEN_MAX || this.seen.has(key)) this.seen.set(key, { consumed: w.consumed, endsAt: now + w.msBeforeNext });
  }

  /** Adds points to a window a take was made in (negative: gives them back); in the background. */
  adjust(take: LimitTake, points: number): void {
    if (points === 0) return;
    const key = this.windowKey(take);
    const c = this.corrections.get(key);
    if (c) c.points += points;
    else this.corrections.set(key, { take, points });
    if (this.correctionScheduled) return;
    this.correctionScheduled = true;
    if (this.batcher) setTimeout(() => void this.flushCorrections(), CORRECTION_DELAY_MS).unref();
    else setImmediate(() => void this.flushCorrections());
  }

  private windowKey(t: LimitTake): string {
    return `${this.prefix}rl:${t.kind}:${t.key}`;
  }

  private async takeInRedis(redis: RedisClient, requests: LimitTake[][], corrections: Correction[] = []): Promise<TakeOutcome[]> {
    const keys = corrections.map((c) => this.windowKey(c.take));
    const args: (string | number)[] = [corrections.length, ...corrections.map((c) => c.points), requests.length];
    for (const takes of requests) {
      args.push(takes.length);
      for (const t of takes) {
        keys.push(this.windowKey(t));
        args.push(t.points, t.limit, t.durationSeconds * 1000);
      }
    }
    let out: number[];
    try {
      out = (await TAKE.run(redis, keys, args)) as number[];
    } catch {
      for (const c of corrections) this.memoryCorrect(c.take, c.points);
      return Promise.all(requests.map((takes) => this.takeInMemory(takes, this.insuranceDivisor)));
    }
    let i = 0;
    const window = (t: LimitTake): WindowState => {
      const consumed = Number(out[i++]);
      const ttl = Number(out[i++]);
      const w = { consumed, msBeforeNext: ttl >= 0 ? ttl : t.durationSeconds * 1000 };
      this.see(t, w);
      return w;
    };
    return requests.map((takes) => {
      const refused = Number(out[i++]);
      if (refused > 0) return { ok: false, refused: refused - 1, window: window(takes[refused - 1]!) };
      return { ok: true, windows: takes.map(window) };
    });
  }

  /** takeInRedis never rejects: a window Redis could not take is taken by the insurance limiter. */
  private async takeEachInCluster(redis: RedisClient, takes: LimitTake[]): Promise<TakeOutcome> {
    const results = await Promise.all(takes.map(async (t) => (await this.takeInRedis(redis, [[t]]))[0]!));
    const refused = results.findIndex((r) => !r.ok);
    if (refused < 0) return { ok: true, windows: results.map((r) => (r as { windows: WindowState[] }).windows[0]!) };
    results.forEach((r, i) => r.ok && this.adjust(takes[i]!, -takes[i]!.points));
    return { ok: false, refused, window: (results[refused] as { window: WindowState }).window };
  }

  private async takeInMemory(takes: LimitTake[], divisor: number): Promise<TakeOutcome> {
    const windows: WindowState[] = [];
    for (const [i, t] of takes.entries()) {
      const limiter = this.memoryLimiter(t, divisor);
      try {
        const res = await limiter.consume(t.key, t.points);
        windows.push({ consumed: res.consumedPoints, msBeforeNext: res.msBeforeNext });
      } catch (err) {
        if (!(err instanceof RateLimiterRes)) throw err;
        // A refused consume still counted its points: give them back, and those taken before it.
        for (const taken of takes.slice(0, i + 1)) void this.memoryLimiter(taken, divisor).reward(taken.key, taken.points);
        return { ok: false, refused: i, window: { consumed: Math.max(0, err.consumedPoints - t.points), msBeforeNext: err.msBeforeNext } };
      }
    }
    return { ok: true, windows };
  }

  private memoryLimiter(t: LimitTake, divisor: number): RateLimiterMemory {
    const points = Math.max(1, Math.ceil(t.limit / divisor));
    const id = `${t.kind}:${points}:${t.durationSeconds}`;
    let rl = this.memory.get(id);
    if (!rl) {
      rl = new RateLimiterMemory({ keyPrefix: `${this.prefix}rl:${t.kind}`, points, duration: t.durationSeconds });
      this.memory.set(id, rl);
    }
    return rl;
  }

  /** The corrections not yet sent, to go with the call about to be made. */
  private takeCorrections(): Correction[] {
    if (this.corrections.size === 0) return [];
    const pending = [...this.corrections.values()];
    this.corrections = new Map();
    return pending;
  }

  private async flushCorrections(): Promise<void> {
    this.correctionScheduled = false;
    const batch = this.takeCorrections();
    if (batch.length === 0) return;
    const redis = this.redis;
    if (!redis || redis.status !== 'ready') return batch.forEach((c) => this.memoryCorrect(c.take, c.points));
    // takeInRedis gives failed corrections to the insurance limiters.
    if (redis instanceof Cluster) await Promise.all(batch.map((c) => this.takeInRedis(redis, [], [c])));
    else await this.takeInRedis(redis, [], batch);
  }

  private memoryCorrect(take: LimitTake, points: number): void {
    const limiter = this.memoryLimiter(take, this.redis ? this.insuranceDivisor : 1);
    void (points > 0 ? limiter.penalty(take.key, points) : limiter.reward(take.key, -points)).catch(() => undefined);
  }
}
