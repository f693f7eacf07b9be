import { randomBytes } from 'node:crypto';
import { loadEnv } from '../../src/config/env.js';
import { createLogger } from '../../src/observability/logger.js';
import { startGateway, type RunningGateway } from '../../src/server.js';
import { TEST_ADMIN_TOKEN, TEST_ENCRYPTION_KEY, TEST_REDIS_URL } from './env.js';
import { adminCall } from './admin-call.js';

export interface TestGateway extends RunningGateway {
  adminToken: string;
  /** Calls the admin API; throws with the response body on a non-2xx status. */
  admin<T = any>(method: string, path: string, body?: unknown): Promise<T>;
  close(): Promise<void>;
}

/** Starts a gateway in this process against the given real database and Redis. */
export async function startTestGateway(opts: { databaseUrl: string; redisPrefix?: string; env?: Record<string, string>; logTo?: NodeJS.WritableStream }): Promise<TestGateway> {
  const env = loadEnv({
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: opts.databaseUrl,
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: opts.redisPrefix ?? `tgtest:${randomBytes(4).toString('hex')}:`,
    ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    SHUTDOWN_DEADLINE_MS: '2000',
    SEED_FILE: 'none',
    // Idle leases go back quickly, so tests reach quiescence (nothing held) soon after their requests.
    LEASE_IDLE_MS: '200',
    ...opts.env,
  });
  const running = await startGateway(env, { log: createLogger(env.LOG_LEVEL, opts.logTo ?? process.stderr) });
  const admin = (method: string, path: string, body?: unknown) => adminCall(running.url, method, path, body);
  return { ...running, adminToken: TEST_ADMIN_TOKEN, admin, close: () => running.shutdown() };
}
