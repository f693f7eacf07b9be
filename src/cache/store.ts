import type { RedisClient } from '../store/redis.js';
import type { Signer } from '../store/signer.js';

/** Where cached answers live: Redis (shared) or process memory (embedded). Both are bounded. */
export interface CacheStore {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
}

/**
 * Stores an entry and keeps its shard's index (a sorted set by insertion time) within the
 * shard's share of maxEntries, evicting the oldest entries, in one atomic script. The index lives
 * as long as the longest-lived entry it lists, so an index nothing writes to any more goes away.
 */
const SET_BOUNDED = `
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], KEYS[1])
if redis.call('TTL', KEYS[2]) < tonumber(ARGV[2]) then redis.call('EXPIRE', KEYS[2], ARGV[2]) end
local over = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[4])
if over > 0 then
  local old = redis.call('ZPOPMIN', KEYS[2], over)
  for i = 1, #old, 2 do redis.call('DEL', old[i]) end
end
return 1`;

/** Most index shards: enough to spread the cache over a cluster's nodes. */
const MAX_SHARDS = 16;

/**
 * The Redis cache's layout: entries are spread over up to MAX_SHARDS shards by their key; an
 * entry and its shard's index share a hash tag (`{cN}`), so the script that stores one and evicts
 * the shard's oldest runs in one Redis Cluster slot, while the shards spread over the cluster.
 * Each shard keeps maxEntries / shards entries, so the whole stays within maxEntries.
 */
export class CacheLayout {
  readonly shards: number;
  readonly perShard: number;

  constructor(
    private readonly prefix: string,
    maxEntries: number,
  ) {
    this.shards = Math.min(MAX_SHARDS, maxEntries);
    this.perShard = Math.floor(maxEntries / this.shards);
  }

  entry(key: string): string {
    return `${this.prefix}cache:{c${this.shardOf(key)}}:${key}`;
  }

  index(shard: number): string {
    return `${this.prefix}cache-index:{c${shard}}`;
  }

  /** Every shard's index (to list what is cached). */
  indexes(): string[] {
    return Array.from({ length: this.shards }, (_, i) => this.index(i));
  }

  shardOf(key: string): number {
    // FNV-1a: keys are hashes already, this only has to be cheap and stable.
    let h = 0x811c9dc5;
    for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
    return (h >>> 0) % this.shards;
  }
}

/**
 * Answers in Redis, sealed (store/signer.ts) under their key: an entry anyone else wrote or
 * changed reads as a miss, so whoever can write to Redis cannot put words in a model's mouth.
 */
export class RedisCacheStore implements CacheStore {
  readonly layout: CacheLayout;

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
    maxEntries: number,
    private readonly signer: Signer,
    private readonly onForged: (key: string) => void = () => undefined,
  ) {
    this.layout = new CacheLayout(prefix, maxEntries);
  }

  async get(key: string): Promise<string | null> {
    const name = this.layout.entry(key);
    const sealed = await this.redis.get(name);
    if (sealed === null) return null;
    const opened = this.signer.open(name, sealed);
    if (opened.ok) return opened.value;
    if (opened.reason === 'forged') this.onForged(name);
    return null;
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    const name = this.layout.entry(key);
    const now = Date.now();
    const sealed = this.signer.seal(name, value, now + ttlSeconds * 1000);
    const index = this.layout.index(this.layout.shardOf(key));
    await this.redis.eval(SET_BOUNDED, 2, name, index, sealed, String(ttlSeconds), String(now), String(this.layout.perShard));
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
