import { describe, expect, it } from 'vitest';
import { CacheLayout } from '../../../src/cache/store.js';
import { EnvError, loadEnv } from '../../../src/config/env.js';
import { parseRedisUrl } from '../../../src/store/redis.js';

describe('REDIS_URL', () => {
  it('a redis:// or rediss:// URL is one server, passed on as it is', () => {
    expect(parseRedisUrl('redis://:pw@cache.internal:6380/2')).toEqual({ kind: 'server', url: 'redis://:pw@cache.internal:6380/2' });
    expect(parseRedisUrl('rediss://cache.internal')).toEqual({ kind: 'server', url: 'rediss://cache.internal' });
  });

  it('redis-cluster:// lists seed nodes; credentials are URL-decoded and shared; rediss-cluster:// is TLS', () => {
    expect(parseRedisUrl('redis-cluster://10.0.0.1:7000,10.0.0.2:7001,redis-3.internal')).toEqual({
      kind: 'cluster',
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 7001 },
        { host: 'redis-3.internal', port: 6379 },
      ],
      username: undefined,
      password: undefined,
      tls: false,
    });
    expect(parseRedisUrl('rediss-cluster://app:p%40ss%2Cword@[::1]:7000/')).toEqual({
      kind: 'cluster',
      nodes: [{ host: '::1', port: 7000 }],
      username: 'app',
      password: 'p@ss,word',
      tls: true,
    });
    expect(parseRedisUrl('redis-cluster://:secret@n1:7000/0')).toMatchObject({ username: undefined, password: 'secret' });
  });

  it('a bad cluster URL stops the start with one line naming REDIS_URL, never its credentials', () => {
    const bad = ['redis-cluster://:hunter2@n1:7000/3', 'redis-cluster://:hunter2@n1:7000,,n2:7001', 'redis-cluster://:hunter2@n1:99999', 'redis-cluster://', 'redis-cluster://app:hunter2,n1:7000'];
    for (const url of bad) {
      let message = '';
      try {
        loadEnv({ REDIS_URL: url });
      } catch (err) {
        expect(err).toBeInstanceOf(EnvError);
        message = (err as Error).message;
      }
      expect(message, url).toMatch(/^Invalid environment variable REDIS_URL: /);
      expect(message).not.toContain('hunter2');
    }
    expect(loadEnv({ REDIS_URL: 'redis-cluster://n1:7000,n2:7000' }).REDIS_URL).toBe('redis-cluster://n1:7000,n2:7000');
    expect(() => loadEnv({ REDIS_URL: 'memcached://n1' })).toThrow(/REDIS_URL/);
  });
});

describe('the Redis cache layout', () => {
  it('puts an entry and its shard index under one hash tag, and keeps the shards within maxEntries', () => {
    const layout = new CacheLayout('tg:', 100_000);
    expect(layout.shards).toBe(16);
    const shard = layout.shardOf('abc');
    expect(layout.entry('abc')).toBe(`tg:cache:{c${shard}}:abc`);
    expect(layout.index(shard)).toBe(`tg:cache-index:{c${shard}}`);
    for (const max of [1, 5, 16, 17, 40, 100_000]) {
      const l = new CacheLayout('tg:', max);
      expect(l.shards * l.perShard, `maxEntries ${max}`).toBeLessThanOrEqual(max);
      expect(l.perShard).toBeGreaterThanOrEqual(1);
    }
    // Keys spread over every shard.
    const used = new Set(Array.from({ length: 2000 }, (_, i) => layout.shardOf(`key-${i}`)));
    expect(used.size).toBe(16);
  });
});
