import { Cluster, Redis, type ClusterNode } from 'ioredis';

/**
 * A connection to one Redis server or to a Redis Cluster. Everything the gateway does works on
 * both: keys a script or transaction touches together share a hash tag (docs/ARCHITECTURE.md,
 * "Redis keys").
 */
export type RedisClient = Redis | Cluster;

/** What REDIS_URL names: one server (any URL ioredis takes), or a cluster's seed nodes. */
export type RedisTarget =
  | { kind: 'server'; url: string }
  | { kind: 'cluster'; nodes: { host: string; port: number }[]; username?: string; password?: string; tls: boolean };

/** A REDIS_URL that cannot be used; the message never repeats credentials. */
export class RedisUrlError extends Error {}

const CLUSTER_URL = /^(rediss?)-cluster:\/\/(.*)$/;

/**
 * `redis://…` / `rediss://…`: one server. `redis-cluster://[user:password@]host:port,host:port…`
 * (`rediss-cluster://` with TLS): a Redis Cluster, given by any of its nodes (the client learns
 * the rest); credentials are URL-encoded and shared by every node.
 */
export function parseRedisUrl(url: string): RedisTarget {
  const m = CLUSTER_URL.exec(url);
  if (!m) return { kind: 'server', url };
  let rest = m[2]!;
  const at = rest.lastIndexOf('@');
  const credentials = at >= 0 ? rest.slice(0, at) : '';
  rest = at >= 0 ? rest.slice(at + 1) : rest;
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    const path = rest.slice(slash);
    if (path !== '/' && path !== '/0') throw new RedisUrlError('a Redis Cluster has only database 0; leave the path out of a redis-cluster:// URL');
    rest = rest.slice(0, slash);
  }
  const nodes = rest.split(',').map((hostPort, i) => {
    const hp = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?$/.exec(hostPort.trim());
    const port = Number(hp?.[2] ?? 6379);
    // Not echoed: a malformed URL may carry a password where a node was expected.
    if (!hp || port < 1 || port > 65535) throw new RedisUrlError(`node ${i + 1} of the redis-cluster:// URL is not host or host:port`);
    return { host: hp[1]!.replace(/^\[|\]$/g, ''), port };
  });
  const colon = credentials.indexOf(':');
  const username = decodeURIComponent(colon >= 0 ? credentials.slice(0, colon) : credentials);
  const password = colon >= 0 ? decodeURIComponent(credentials.slice(colon + 1)) : undefined;
  return { kind: 'cluster', nodes, username: username || undefined, password: password || undefined, tls: m[1] === 'rediss' };
}

/** How long a command may wait for Redis' answer: far above its normal latency, far below a user's patience. */
const COMMAND_TIMEOUT_MS = 1_000;
const backoff = (times: number) => Math.min(100 * 2 ** Math.min(times, 6), 3_000);

/**
 * The shared Redis connection. Commands are auto-pipelined (many concurrent requests share one
 * round trip). Every caller has a fallback (Postgres, the in-memory limiters, a cache miss), so
 * a Redis outage must fail commands at once rather than make requests wait for it: while the
 * connection is down commands are rejected instead of queued (`enableOfflineQueue: false`), a
 * command in flight when it drops is failed at the first reconnect attempt
 * (`maxRetriesPerRequest: 0`), and one that a stalled Redis never answers fails after
 * COMMAND_TIMEOUT_MS. Connections made with `duplicateRedis()` inherit all of this. On a cluster
 * the same holds per node, and a command sent while a node is down fails at once.
 */
export function createRedis(url: string, onError: (err: Error) => void): RedisClient {
  const target = parseRedisUrl(url);
  const perNode = { maxRetriesPerRequest: 0, commandTimeout: COMMAND_TIMEOUT_MS, connectTimeout: 2_000 };
  const redis =
    target.kind === 'server'
      ? new Redis(target.url, { ...perNode, enableAutoPipelining: true, enableOfflineQueue: false, retryStrategy: backoff, lazyConnect: false })
      : new Cluster(target.nodes as ClusterNode[], {
          enableAutoPipelining: true,
          enableOfflineQueue: false,
          // A command meeting a lost node or CLUSTERDOWN fails at once, as on one server; by
          // default it would be retried for up to 16 × 100 ms. Redirections (MOVED, ASK) still apply.
          retryDelayOnFailover: 0,
          retryDelayOnClusterDown: 0,
          clusterRetryStrategy: backoff,
          slotsRefreshTimeout: 2_000,
          // With TLS, nodes are reached by the names they announce, so certificates are checked against them.
          ...(target.tls ? { dnsLookup: (address: string, callback: (err: null, address: string) => void) => callback(null, address) } : {}),
          redisOptions: { ...perNode, username: target.username, password: target.password, ...(target.tls ? { tls: {} } : {}) },
        });
  if (redis instanceof Cluster) connectNodesEagerly(redis);
  let lastLogged = 0;
  redis.on('error', (err: Error) => {
    // An outage emits an error per reconnect attempt; log at most once every 10 s.
    if (Date.now() - lastLogged > 10_000) {
      lastLogged = Date.now();
      onError(err);
    }
  });
  return redis;
}

/** What a second connection may change from the shared one's settings. */
export interface ConnectionOverrides {
  enableAutoPipelining?: boolean;
  enableOfflineQueue?: boolean;
  maxRetriesPerRequest?: number | null;
  commandTimeout?: number | undefined;
}

/**
 * Another connection like `redis` (same server or cluster, same credentials), with some settings
 * changed: blocking reads, subscriptions and the rate limiters get their own. A cluster takes the
 * per-command settings per node.
 */
export function duplicateRedis(redis: RedisClient, overrides: ConnectionOverrides): RedisClient {
  if (!(redis instanceof Cluster)) return redis.duplicate(overrides);
  const { enableAutoPipelining, enableOfflineQueue, ...perNode } = overrides;
  return connectNodesEagerly(
    redis.duplicate([], {
      ...(enableAutoPipelining === undefined ? {} : { enableAutoPipelining }),
      ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }),
      redisOptions: { ...redis.options.redisOptions, ...perNode },
    }),
  );
}

/**
 * A cluster client connects to a node on its first command, and without an offline queue a
 * command arriving while that connection is still being made would be refused: connect to each
 * node as soon as the client learns of it.
 */
function connectNodesEagerly(cluster: Cluster): Cluster {
  cluster.on('+node', (node: Redis) => {
    if (node.status === 'wait') node.connect().catch(() => undefined);
  });
  return cluster;
}

/**
 * Resolves once the connection is ready, or after `timeoutMs` (true when ready). Without an
 * offline queue, commands sent before the first connection completes would fail; starting up
 * waits for it, but never longer than this, so a gateway still starts while Redis is down.
 */
export function redisReady(redis: RedisClient, timeoutMs: number): Promise<boolean> {
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
