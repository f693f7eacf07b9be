import { Redis } from 'ioredis';

/**
 * The shared Redis connection. Commands are auto-pipelined (many concurrent requests share one
 * round trip). `maxRetriesPerRequest` is small so a Redis outage fails commands fast and the
 * callers' in-memory fallbacks take over instead of requests hanging.
 */
export function createRedis(url: string, onError: (err: Error) => void): Redis {
  const redis = new Redis(url, {
    enableAutoPipelining: true,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    enableOfflineQueue: true,
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
