import { EventEmitter } from 'node:events';
import { duplicateRedis, type RedisClient } from './redis.js';

/**
 * State shared by gateway instances: Redis in production, process memory in the embedded
 * single-instance mode. Keys are given without the deployment prefix; implementations add it.
 */
export interface SharedStore {
  readonly kind: 'redis' | 'memory';
  /** The Redis client, for libraries that want it (rate limiters); undefined in memory mode. */
  readonly redis: RedisClient | undefined;
  readonly prefix: string;
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlSeconds?: number): Promise<void>;
  del(key: string): Promise<void>;
  publish(channel: string, message: string): Promise<void>;
  subscribe(channel: string, onMessage: (message: string) => void): Promise<void>;
  /** Takes or extends a lease held by `owner` for ttlMs; true when owner holds it afterwards. */
  lease(key: string, owner: string, ttlMs: number): Promise<boolean>;
  close(): Promise<void>;
}

const LEASE_LUA = `
local cur = redis.call('GET', KEYS[1])
if cur == false then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
if cur == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
return 0`;

const SUBSCRIBE_WAIT_MS = 2_000;

export class RedisStore implements SharedStore {
  readonly kind = 'redis' as const;
  private subscriber: RedisClient | undefined;
  private readonly handlers = new Map<string, Set<(m: string) => void>>();

  constructor(
    readonly redis: RedisClient,
    readonly prefix: string,
    private readonly onError: (err: Error) => void,
  ) {}

  async get(key: string): Promise<string | null> {
    return this.redis.get(this.prefix + key);
  }

  async set(key: string, value: string, ttlSeconds?: number): Promise<void> {
    if (ttlSeconds) await this.redis.set(this.prefix + key, value, 'EX', ttlSeconds);
    else await this.redis.set(this.prefix + key, value);
  }

  async del(key: string): Promise<void> {
    await this.redis.del(this.prefix + key);
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.redis.publish(this.prefix + channel, message);
  }

  /**
   * Subscriptions use their own connection, which keeps its commands while Redis is away (no
   * request waits on it) and re-subscribes after a reconnect. Waits for the subscription up to
   * SUBSCRIBE_WAIT_MS, so an instance starting while Redis is down still starts.
   */
  async subscribe(channel: string, onMessage: (message: string) => void): Promise<void> {
    if (!this.subscriber) {
      this.subscriber = duplicateRedis(this.redis, { maxRetriesPerRequest: null, enableOfflineQueue: true, commandTimeout: undefined });
      this.subscriber.on('error', (err) => this.onError(err));
      this.subscriber.on('message', (ch: string, msg: string) => {
        for (const h of this.handlers.get(ch) ?? []) h(msg);
      });
    }
    const full = this.prefix + channel;
    let set = this.handlers.get(full);
    if (!set) {
      set = new Set();
      this.handlers.set(full, set);
      const subscribed = this.subscriber.subscribe(full).catch((err: Error) => this.onError(err));
      await Promise.race([subscribed, new Promise((r) => setTimeout(r, SUBSCRIBE_WAIT_MS).unref())]);
    }
    set.add(onMessage);
  }

  async lease(key: string, owner: string, ttlMs: number): Promise<boolean> {
    const r = await this.redis.eval(LEASE_LUA, 1, this.prefix + key, owner, String(ttlMs));
    return r === 1;
  }

  async close(): Promise<void> {
    this.subscriber?.disconnect();
  }
}

/** Single-process stand-in: a bounded map with expiry and an in-process event bus. */
export class MemoryStore implements SharedStore {
  readonly kind = 'memory' as const;
  readonly redis = undefined;
  readonly prefix = '';
  private readonly values = new Map<string, { value: string; expiresAt: number }>();
  private readonly bus = new EventEmitter();

  constructor(private readonly maxEntries = 100_000) {
    this.bus.setMaxListeners(0);
  }

  async get(key: string): Promise<string | null> {
    const e = this.values.get(key);
    if (!e) return null;
    if (e.expiresAt <= Date.now()) {
      this.values.delete(key);
      return null;
    }
    return e.value;
  }

  async set(key: string, value: string, ttlSeconds?: number): Promise<void> {
    if (this.values.size >= this.maxEntries && !this.values.has(key)) this.values.delete(this.values.keys().next().value!);
    this.values.set(key, { value, expiresAt: ttlSeconds ? Date.now() + ttlSeconds * 1000 : Infinity });
  }

  async del(key: string): Promise<void> {
    this.values.delete(key);
  }

  async publish(channel: string, message: string): Promise<void> {
    this.bus.emit(channel, message);
  }

  async subscribe(channel: string, onMessage: (message: string) => void): Promise<void> {
    this.bus.on(channel, onMessage);
  }

  async lease(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {
    this.bus.removeAllListeners();
  }
}
