import { createServer, type Server } from 'node:http';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createApp } from './app.js';
import { createRequestListener } from './http/listener.js';
import { onClientError } from './http/client-errors.js';
import { AlertDispatcher } from './alerts/dispatcher.js';
import { resealWebhookSecrets } from './alerts/webhook-store.js';
import { Authenticator } from './auth/authenticator.js';
import { CreditService } from './credits/service.js';
import { SettlementStream } from './credits/settlement-stream.js';
import { Limits } from './limits/admission.js';
import { ConcurrencyLeases } from './limits/concurrency.js';
import { LimiterSet } from './limits/limiters.js';
import { EnvError, loadEnv, type Env } from './config/env.js';
import { ConfigStore } from './config/store.js';
import { ConfigSync } from './config/sync.js';
import { MemoryStore, RedisStore, type SharedStore } from './store/shared.js';
import { prepareCatalogue, printBanner } from './config/first-start.js';
import type { Gateway } from './gateway.js';
import { readProjectJson } from './paths.js';
import { createLogger, type Logger } from './observability/logger.js';
import { Metrics } from './observability/metrics.js';
import { createTracer, tracingNotice } from './observability/tracing-setup.js';
import { KeyPicker } from './routing/keys.js';
import type { Db } from './store/db.js';
import { migrate } from './store/migrate.js';
import { PgDb } from './store/pg.js';
import { PgliteDb } from './store/pglite.js';
import { createRedis, duplicateRedis, redisReady, type RedisClient } from './store/redis.js';
import { SignedStore, warnOncePerKind } from './store/signed-store.js';
import { Signer } from './store/signer.js';
import { SecretBox, sha256 } from './store/secrets.js';
import { Transport } from './upstream/transport.js';
import { BreakerRegistry } from './upstream/breakers.js';
import { ResponseCache } from './cache/response-cache.js';
import { MemoryCacheStore, RedisCacheStore } from './cache/store.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const STARVING_CHANNEL = 'credits:starving';

export interface RunningGateway {
  gw: Gateway;
  server: Server;
  url: string;
  redis: RedisClient | undefined;
  /** Stops accepting, waits for in-flight work (up to the deadline), closes everything. */
  shutdown(): Promise<void>;
}

/** A secret kept in DATA_DIR (embedded mode): read it, or create it once with owner-only access. */
function dataDirSecret(dir: string, file: string, make: () => string): { value: string; created: boolean } {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, file);
  if (existsSync(path)) return { value: readFileSync(path, 'utf8').trim(), created: false };
  const value = make();
  writeFileSync(path, `${value}\n`, { mode: 0o600 });
  return { value, created: true };
}

async function openDatabase(env: Env, log: Logger): Promise<Db> {
  if (env.DATABASE_URL) {
    return new PgDb({ connectionString: env.DATABASE_URL, listenConnectionString: env.DATABASE_DIRECT_URL, poolSize: env.DATABASE_POOL_SIZE, onError: (err) => log.warn({ err: err.message }, 'postgres connection error') });
  }
  return PgliteDb.open(join(env.DATA_DIR, 'pgdata'));
}

/**
 * The admin token: ADMIN_TOKEN when set (required with DATABASE_URL). The embedded gateway
 * generates one on first start and keeps it in DATA_DIR/admin-token (owner-only) so each start
 * can show it again.
 */
function resolveAdminToken(env: Env): { hash: Buffer; shown?: string } {
  if (env.ADMIN_TOKEN) return { hash: sha256(env.ADMIN_TOKEN) };
  const t = dataDirSecret(env.DATA_DIR, 'admin-token', () => `tga_${randomBytes(24).toString('base64url')}`);
  return { hash: sha256(t.value), shown: t.value };
}

export async function startGateway(env: Env, opts: { log?: Logger } = {}): Promise<RunningGateway> {
  const log = opts.log ?? createLogger(env.LOG_LEVEL);
  const instanceId = env.INSTANCE_ID ?? `${hostname()}-${process.pid}`;
  const encryptionKey = env.ENCRYPTION_KEY ?? dataDirSecret(env.DATA_DIR, 'encryption.key', SecretBox.generateKey).value;
  const secrets = new SecretBox(encryptionKey);

  const db = await openDatabase(env, log);
  const applied = await migrate(db);
  if (applied.length) log.info({ applied }, 'migrations applied');
  const first = await prepareCatalogue(env, db, secrets, log);
  const resealedHooks = await resealWebhookSecrets(db, secrets);
  if (resealedHooks > 0) log.info({ resealed: resealedHooks }, 'webhook secrets re-encrypted with the current ENCRYPTION_KEY');
  const admin = resolveAdminToken(env);

  const redis = env.REDIS_URL ? createRedis(env.REDIS_URL, (err) => log.warn({ err: err.message }, 'redis error')) : undefined;
  if (redis && !(await redisReady(redis, 2_000))) log.warn('redis not reachable at start; serving without it until it is');
  // What instances share through Redis is sealed with a key derived from ENCRYPTION_KEY, which Redis never sees.
  const warnForged = warnOncePerKind((fields, message) => log.warn(fields, message));
  const shared: SharedStore = redis
    ? new SignedStore(
        new RedisStore(redis, env.REDIS_KEY_PREFIX, (err) => log.warn({ err: err.message }, 'redis subscriber error')),
        new Signer(Buffer.from(encryptionKey, 'utf8'), 'tollgate redis seal v1'),
        warnForged,
      )
    : new MemoryStore();

  const config = new ConfigStore(db, secrets);
  await config.reload();

  const metrics = new Metrics();
  const tracer = await createTracer(env, instanceId, readProjectJson<{ version: string }>('package.json').version, (problem) =>
    log.warn({ problem }, 'tracing: the OpenTelemetry SDK reports a problem; spans may be lost'),
  );
  if (tracer.enabled) log.info({ serviceName: env.OTEL_SERVICE_NAME ?? 'tollgate' }, 'tracing on: spans exported over OTLP/HTTP');
  const notice = tracingNotice(env);
  if (notice) log.warn(`tracing: ${notice}`);
  // The request path's own Redis calls (limits, settlement appends) batch themselves per
  // event-loop turn and are written the moment a batch is made: auto-pipelining would hold each
  // batch back one more turn.
  const hotRedis = redis && duplicateRedis(redis, { enableAutoPipelining: false });
  hotRedis?.on('error', () => undefined);
  // Its first requests must find it connected (it queues nothing offline), as they find the shared one.
  if (hotRedis && redis?.status === 'ready') await redisReady(hotRedis, 2_000);
  const limits = new Limits(
    new LimiterSet(hotRedis, env.REDIS_KEY_PREFIX, env.LIMITS_EXPECTED_INSTANCES),
    new ConcurrencyLeases(hotRedis, env.REDIS_KEY_PREFIX, 15 * 60_000),
    metrics,
    { globalRpm: env.GLOBAL_RPM },
  );
  const gw: Gateway = {
    env,
    instanceId,
    log,
    metrics,
    tracer,
    limits,
    cache: new ResponseCache(
      redis
        ? new RedisCacheStore(redis, env.REDIS_KEY_PREFIX, env.CACHE_MAX_ENTRIES, new Signer(Buffer.from(encryptionKey, 'utf8'), 'tollgate cache seal v1'), () =>
            warnForged('value', `${env.REDIS_KEY_PREFIX}cache:*`),
          )
        : new MemoryCacheStore(env.CACHE_MEMORY_BYTES),
      { defaultTtlSeconds: env.CACHE_TTL_SECONDS, maxEntryBytes: env.CACHE_MAX_ENTRY_BYTES, scope: env.CACHE_SCOPE, hitChargePercent: env.CACHE_HIT_CHARGE_PERCENT },
      metrics,
      log,
    ),
    db,
    secrets,
    config,
    auth: new Authenticator(db, shared),
    keys: new KeyPicker(),
    transport: new Transport({ connections: env.UPSTREAM_CONNECTIONS }),
    breakers: new BreakerRegistry(
      { errorThresholdPercentage: env.BREAKER_ERROR_PERCENT, volumeThreshold: env.BREAKER_MIN_REQUESTS, resetTimeoutMs: env.BREAKER_RESET_MS, windowMs: env.BREAKER_WINDOW_MS },
      metrics,
    ),
    retry: { maxRetries: env.RETRY_MAX, baseDelayMs: env.RETRY_BASE_DELAY_MS, maxDelayMs: env.RETRY_MAX_DELAY_MS, maxWaitMs: env.RETRY_MAX_WAIT_MS, deadlineMs: env.RETRY_DEADLINE_MS },
    credits: new CreditService(db, log, {
      instanceId,
      maxInFlight: env.CREDIT_BATCHES_IN_FLIGHT,
      lease: { ttlMs: env.LEASE_TTL_MS, idleMs: env.LEASE_IDLE_MS, targetMs: env.LEASE_TARGET_MS, waitMs: env.CREDIT_WAIT_MS },
      publishStarving: (accountId) => void shared.publish(STARVING_CHANNEL, accountId).catch(() => undefined),
    }),
    alerts: new AlertDispatcher(db, secrets, log, {
      intervalMs: env.ALERT_CHECK_INTERVAL_MS,
      retryBaseMs: env.WEBHOOK_RETRY_BASE_MS,
      maxAttempts: env.WEBHOOK_MAX_ATTEMPTS,
      timeoutMs: env.WEBHOOK_TIMEOUT_MS,
      allowPrivate: env.WEBHOOK_ALLOW_PRIVATE,
    }),
    lifecycle: { shuttingDown: false, inflight: 0, unsettled: 0 },
    probes: {
      postgres: async () => {
        await db.query('SELECT 1');
      },
    },
    degradableProbes: redis ? { redis: async () => void (await redis.ping()) } : {},
  };

  if (hotRedis) {
    const seal = new Signer(Buffer.from(encryptionKey, 'utf8'), 'tollgate settlement seal v1');
    gw.credits.useStream(new SettlementStream(hotRedis, seal, gw.credits.writer, log, { instanceId, prefix: env.REDIS_KEY_PREFIX, claimIdleMs: env.SETTLEMENT_CLAIM_IDLE_MS, lingerMs: env.SETTLEMENT_LINGER_MS }));
  }
  const sync = new ConfigSync(db, shared, config, gw.auth, log, { instanceId, checkIntervalMs: env.CONFIG_CHECK_INTERVAL_MS, leaseMs: 6_000 });
  await sync.start();
  gw.credits.start(env.SWEEP_INTERVAL_MS);
  gw.alerts.start();
  // Another instance's requests wait for credit on an account: hand back what is idle here.
  await shared.subscribe(STARVING_CHANNEL, (accountId) => gw.credits.handBack(accountId));
  const app = createApp(gw, admin.hash);
  // Slow clients get bounded time to send a request (headers, then the whole body); the response,
  // however long a stream runs, is not limited by these.
  const server = createServer(
    {
      keepAliveTimeout: 65_000,
      headersTimeout: env.CLIENT_HEADERS_TIMEOUT_MS,
      requestTimeout: Math.max(env.CLIENT_REQUEST_TIMEOUT_MS, env.CLIENT_HEADERS_TIMEOUT_MS),
      // How often Node looks for requests past those timeouts (its default, 30 s, would let a
      // slow client hold a connection far longer than configured).
      connectionsCheckingInterval: Math.min(1_000, env.CLIENT_HEADERS_TIMEOUT_MS),
    },
    createRequestListener(gw, app),
  );
  server.on('clientError', onClientError);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(env.PORT, env.HOST, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const shownHost = env.HOST === '0.0.0.0' || env.HOST === '::' ? '127.0.0.1' : env.HOST;
  const url = `http://${shownHost}:${addr.port}`;
  log.info({ url, instanceId, database: db.kind, redis: Boolean(redis) }, 'tollgate listening');
  if (!env.DATABASE_URL) printBanner(url, env, admin.shown, first);
  else if (first.providersWithoutKeys.length) log.warn({ providers: first.providersWithoutKeys }, 'providers without an enabled key');

  let stopping: Promise<void> | undefined;
  /**
   * Graceful stop: /ready fails and new requests get a 503 at once (the listener stays open so
   * load balancers get a clear answer); in-flight requests and streams run to completion up to
   * SHUTDOWN_DEADLINE_MS; whatever still runs then is cut (and settles what it produced); pending
   * settlements are written (waiting up to SHUTDOWN_SETTLE_MS); leases are given back; the last
   * spans are exported (bounded, see tracing-otel.ts); then everything closes.
   */
  const shutdown = () =>
    (stopping ??= (async () => {
      gw.lifecycle.shuttingDown = true;
      server.closeIdleConnections();
      const deadline = Date.now() + env.SHUTDOWN_DEADLINE_MS;
      while (gw.lifecycle.inflight > 0 && Date.now() < deadline) await sleep(25);
      if (gw.lifecycle.inflight > 0) log.warn({ inflight: gw.lifecycle.inflight }, 'shutdown deadline reached; cutting remaining requests');
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      const settleDeadline = Date.now() + env.SHUTDOWN_SETTLE_MS;
      while ((gw.credits.pending > 0 || gw.lifecycle.unsettled > 0) && Date.now() < settleDeadline) await sleep(20);
      await gw.credits.close().catch((err: Error) => log.warn({ err: err.message }, 'giving back credit leases failed'));
      await gw.alerts.stop();
      await sync.stop();
      await shared.close();
      gw.breakers.shutdown();
      await gw.transport.close();
      await tracer.shutdown().catch((err: Error) => log.warn({ err: err.message }, 'exporting the last spans failed'));
      await db.close();
      hotRedis?.disconnect();
      redis?.disconnect();
      log.info({ instanceId }, 'tollgate stopped');
      log.flush();
    })());

  return { gw, server, url, redis, shutdown };
}

async function main(): Promise<void> {
  let env: Env;
  try {
    env = loadEnv();
  } catch (err) {
    if (err instanceof EnvError) {
      process.stderr.write(`tollgate: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const running = await startGateway(env);
  const stop = (signal: string) => {
    running.gw.log.info({ signal }, 'shutting down');
    running.shutdown().then(
      () => process.exit(0),
      (err) => {
        running.gw.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

const isMain = process.argv[1] && /server\.(ts|js)$/.test(process.argv[1]);
if (isMain) {
  main().catch((err) => {
    process.stderr.write(`tollgate: failed to start: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  });
}
