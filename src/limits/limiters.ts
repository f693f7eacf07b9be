import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { RedisClient } from '../store/redis.js';

/**
 * rate-limiter-flexible limiters, one per (kind, points) — plans change at run time, so they
 * are made on first use and kept. On Redis each has an in-memory insurance limiter that takes
 * over at once when Redis is not ready (points divided by `insuranceDivisor`, the expected
 * number of instances, so the total stays near the limit while Redis is away).
 */
export class LimiterSet {
  private readonly made = new Map<string, RateLimiterAbstract>();

  constructor(
    private readonly redis: RedisClient | undefined,
    private readonly prefix: string,
    private readonly insuranceDivisor: number,
  ) {}

  get(kind: string, points: number, durationSeconds = 60): RateLimiterAbstract {
    const id = `${kind}:${points}:${durationSeconds}`;
    let rl = this.made.get(id);
    if (!rl) {
      const keyPrefix = `${this.prefix}rl:${kind}`;
      rl = this.redis
        ? new RateLimiterRedis({
            storeClient: this.redis,
            keyPrefix,
            points,
            duration: durationSeconds,
            rejectIfRedisNotReady: true,
            insuranceLimiter: new RateLimiterMemory({ keyPrefix, points: Math.max(1, Math.ceil(points / this.insuranceDivisor)), duration: durationSeconds }),
          })
        : new RateLimiterMemory({ keyPrefix, points, duration: durationSeconds });
      this.made.set(id, rl);
    }
    return rl;
  }
}
