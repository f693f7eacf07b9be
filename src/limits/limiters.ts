import { Cluster } from 'ioredis';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { RedisClient } from '../store/redis.js';
import { RedisScript } from '../store/redis-script.js';
import { Batcher } from '../util/batcher.js';

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

// ARGV: the number of requests, then per request its number of takes and per take (points, limit,
// window ms); KEYS: every take's window, in order. A request takes all of its limits or none, so
// a refusal never consumes what another limit of the same request had room for. Returns per
// request 0 then (consumed, ms left) per take, or the refusing take's position then its window.
// Windows are integers with an expiry, as rate-limiter-flexible keeps them (same names), so a
// rolling upgrade keeps every count.
const TAKE = new RedisScript(`local out = {}
local a, k = 2, 1
for _ = 1, tonumber(ARGV[1]) do
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

// KEYS: windows; ARGV: points to add to each (negative: given back). A window that has ended is
// left alone (the correction belonged to it), and none goes below zero.
const CORRECT = new RedisScript(`for i = 1, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 and redis.call('INCRBY', KEYS[i], ARGV[i]) < 0 then redis.call('SET', KEYS[i], 0, 'KEEPTTL') end
end
return #KEYS`);

/** How many requests' limits go to Redis in one script call, and how many calls may be in flight. */
const BATCH = { maxBatch: 128, maxInFlight: 4 };

/**
 * Fixed-window limits shared by every instance, in Redis. The limits of every request admitted
 * in the same event-loop turn go in one script call (one round trip and one command for the
 * lot, however many requests and limits), and token corrections are summed per window and sent
 * together in the background. On a Redis Cluster, whose windows live on different nodes, each
 * window is its own call, and a request's takes are given back when another of them refuses.
 *
 * When Redis is not ready or a call fails, in-memory insurance limiters take over at once
 * (points divided by `insuranceDivisor`, the expected number of instances, so the total stays
 * near the limit while Redis is away); without Redis they are the limits.
 */
export class LimiterSet {
  private readonly memory = new Map<string, RateLimiterMemory>();
  private readonly batcher: Batcher<LimitTake[], TakeOutcome> | undefined;
  private corrections = new Map<string, { take: LimitTake; points: number }>();
  private correctionScheduled = false;

  constructor(
    private readonly redis: RedisClient | undefined,
    private readonly prefix: string,
    private readonly insuranceDivisor: number,
  ) {
    if (redis && !(redis instanceof Cluster)) this.batcher = new Batcher((requests) => this.takeInRedis(redis, requests), BATCH);
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

  /** Adds points to a window a take was made in (negative: gives them back); in the background. */
  adjust(take: LimitTake, points: number): void {
    if (points === 0) return;
    const key = this.windowKey(take);
    const c = this.corrections.get(key);
    if (c) c.points += points;
    else this.corrections.set(key, { take, points });
    if (this.correctionScheduled) return;
    this.correctionScheduled = true;
    setImmediate(() => void this.flushCorrections());
  }

  private windowKey(t: LimitTake): string {
    return `${this.prefix}rl:${t.kind}:${t.key}`;
  }

  private async takeInRedis(redis: RedisClient, requests: LimitTake[][]): Promise<TakeOutcome[]> {
    const keys: string[] = [];
    const args: (string | number)[] = [requests.length];
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
      return Promise.all(requests.map((takes) => this.takeInMemory(takes, this.insuranceDivisor)));
    }
    let i = 0;
    const window = (t: LimitTake): WindowState => {
      const consumed = Number(out[i++]);
      const ttl = Number(out[i++]);
      return { consumed, msBeforeNext: ttl >= 0 ? ttl : t.durationSeconds * 1000 };
    };
    return requests.map((takes) => {
      const refused = Number(out[i++]);
      if (refused > 0) return { ok: false, refused: refused - 1, window: window(takes[refused - 1]!) };
      return { ok: true, windows: takes.map(window) };
    });
  }

  private async takeEachInCluster(redis: RedisClient, takes: LimitTake[]): Promise<TakeOutcome> {
    let results: TakeOutcome[];
    try {
      results = await Promise.all(takes.map((t) => this.takeInRedis(redis, [[t]]).then((r) => r[0]!)));
    } catch {
      return this.takeInMemory(takes, this.insuranceDivisor);
    }
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

  private async flushCorrections(): Promise<void> {
    this.correctionScheduled = false;
    const batch = [...this.corrections.values()];
    this.corrections = new Map();
    const redis = this.redis;
    const inMemory = () => batch.forEach(({ take, points }) => this.memoryCorrect(take, points));
    if (!redis || redis.status !== 'ready') return inMemory();
    try {
      if (redis instanceof Cluster) await Promise.all(batch.map(({ take, points }) => CORRECT.run(redis, [this.windowKey(take)], [points])));
      else await CORRECT.run(redis, batch.map(({ take }) => this.windowKey(take)), batch.map(({ points }) => points));
    } catch {
      inMemory();
    }
  }

  private memoryCorrect(take: LimitTake, points: number): void {
    const limiter = this.memoryLimiter(take, this.redis ? this.insuranceDivisor : 1);
    void (points > 0 ? limiter.penalty(take.key, points) : limiter.reward(take.key, -points)).catch(() => undefined);
  }
}
