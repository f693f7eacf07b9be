import { Redis } from 'ioredis';

/** How long a command may wait for Redis' answer: far above its normal latency, far below a user's patience. */
const COMMAND_TIMEOUT_MS = 1_000;

/**
 * The shared Redis connection. Commands are auto-pipelined (many concurrent requests share one
 * round trip). Every caller has a fallback (Postgres, the in-memory limiters, a cache miss), so
 * a Redis outage must fail commands at once rather than make requests wait for it: while the
 * connection is down commands are rejected instead of queued (`enableOfflineQueue: false`), a
 * command in flight when it drops is failed at the first reconnect attempt
 * (`maxRetriesPerRequest: 0`), and one that a stalled Redis never answers fails after
 * COMMAND_TIMEOUT_MS. Connections made with `duplicate()` inherit all of this.
 */
export function createRedis(url: string, onError: (err: Error) => void): Redis {
  const redis = new Redis(url, {
    enableAutoPipelining: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: COMMAND_TIMEOUT_MS,
    connectTimeout: 2_000,
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 6), 3_000),
    lazyConnect: false,
  });
  let lastLogged = 0;
  redis.on('error', (err) => {
    // An outage emits an error per reconnect attempt; log at most once every 10 s.
    if (Date.now() - lastLogged > 10_000) {
      lastLogged = Date.now();
      onError(err);
    }
  });
  return redis;
}

/**
 * Resolves once the connection is ready, or after `timeoutMs` (true when ready). Without an
 * offline queue, commands sent before the first connection completes would fail; starting up
 * waits for it, but never longer than this, so a gateway still starts while Redis is down.
 */
export function redisReady(redis: Redis, timeoutMs: number): Promise<boolean> {
  if (redis.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ready: boolean) => {
      clearTimeout(timer);
      redis.off('ready', onReady);
      resolve(ready);
    };
    const onReady = () => done(true);
    const timer = setTimeout(() => done(false), timeoutMs);
    redis.once('ready', onReady);
  });
}
