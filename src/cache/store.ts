import type { Redis } from 'ioredis';
import type { Signer } from '../store/signer.js';

/** Where cached answers live: Redis (shared) or process memory (embedded). Both are bounded. */
export interface CacheStore {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
}

/**
 * Stores an entry and keeps the index (a sorted set by insertion time) within maxEntries,
 * evicting the oldest entries, in one atomic script.
 */
const SET_BOUNDED = `
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], KEYS[1])
local over = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[4])
if over > 0 then
  local old = redis.call('ZPOPMIN', KEYS[2], over)
  for i = 1, #old, 2 do redis.call('DEL', old[i]) end
end
return 1`;

/**
 * Answers in Redis, sealed (store/signer.ts) under their key: an entry anyone else wrote or
 * changed reads as a miss, so whoever can write to Redis cannot put words in a model's mouth.
 */
export class RedisCacheStore implements CacheStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly maxEntries: number,
    private readonly signer: Signer,
    private readonly onForged: (key: string) => void = () => undefined,
  ) {}

  async get(key: string): Promise<string | null> {
    const name = `${this.prefix}cache:${key}`;
    const sealed = await this.redis.get(name);
    if (sealed === null) return null;
    const opened = this.signer.open(name, sealed);
    if (opened.ok) return opened.value;
    if (opened.reason === 'forged') this.onForged(name);
    return null;
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    const name = `${this.prefix}cache:${key}`;
    const now = Date.now();
    const sealed = this.signer.seal(name, value, now + ttlSeconds * 1000);
    await this.redis.eval(SET_BOUNDED, 2, name, `${this.prefix}cache-index`, sealed, String(ttlSeconds), String(now), String(this.maxEntries));
  }
}

/** Least-recently-used within a byte budget, with expiry. */
export class MemoryCacheStore implements CacheStore {
  private readonly entries = new Map<string, { value: string; expiresAt: number }>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  async get(key: string): Promise<string | null> {
    const e = this.entries.get(key);
    if (!e) return null;
    this.entries.delete(key);
    if (e.expiresAt <= Date.now()) {
      this.bytes -= e.value.length;
      return null;
    }
    this.entries.set(key, e); // most recently used goes last
    return e.value;
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    const old = this.entries.get(key);
    if (old) {
      this.bytes -= old.value.length;
      this.entries.delete(key);
    }
    this.entries.set(key, { value, expiresAt: Date.now() + ttlSeconds * 1000 });
    this.bytes += value.length;
    for (const [k, e] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(k);
      this.bytes -= e.value.length;
    }
  }
}
