import pg from 'pg';
import { Redis } from 'ioredis';
import { TEST_PG_ADMIN_URL, TEST_REDIS_URL } from './env.js';

/** Fails the run at once, with a clear line, if the real Postgres or Redis is not reachable. */
export default async function setup(): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_PG_ADMIN_URL, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (err) {
    throw new Error(`Tests need Postgres at ${TEST_PG_ADMIN_URL} (.ci/run starts it): ${(err as Error).message}`);
  } finally {
    await client.end().catch(() => undefined);
  }
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 3_000 });
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    throw new Error(`Tests need Redis at ${TEST_REDIS_URL} (.ci/run starts it): ${(err as Error).message}`);
  } finally {
    redis.disconnect();
  }
}
