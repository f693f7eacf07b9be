import type { RedisClient } from '../store/redis.js';
import { RedisScript } from '../store/redis-script.js';

/**
 * Concurrent streams per user: a Redis sorted set of leases (request id → expiry), taken and
 * released atomically by Lua so every instance counts the same streams. Expired leases (an
 * instance that died mid-stream) stop counting on their own. Falls back to process memory when
 * Redis is not ready.
 */
const ACQUIRE = new RedisScript(`
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1`);

export class ConcurrencyLeases {
  private readonly local = new Map<string, Set<string>>();

  constructor(
    private readonly redis: RedisClient | undefined,
    private readonly prefix: string,
    private readonly leaseMs: number,
  ) {}

  /** True when the lease was granted (fewer than `limit` held). */
  async acquire(subject: string, leaseId: string, limit: number): Promise<boolean> {
    if (this.redis && this.redis.status === 'ready') {
      try {
        const now = Date.now();
        const r = await ACQUIRE.run(this.redis, [`${this.prefix}cc:${subject}`], [now, now + this.leaseMs, limit, leaseId, this.leaseMs]);
        return r === 1;
      } catch {
        /* fall through to the local count */
      }
    }
    let set = this.local.get(subject);
    if (!set) {
      set = new Set();
      this.local.set(subject, set);
    }
    if (set.size >= limit) return false;
    set.add(leaseId);
    return true;
  }

  async release(subject: string, leaseId: string): Promise<void> {
    const set = this.local.get(subject);
    if (set?.delete(leaseId) && set.size === 0) this.local.delete(subject);
    if (this.redis && this.redis.status === 'ready') await this.redis.zrem(`${this.prefix}cc:${subject}`, leaseId).catch(() => undefined);
  }
}
