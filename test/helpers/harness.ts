import OpenAI from 'openai';
import { afterAll, beforeAll } from 'vitest';
import { startMockUpstream, type MockOptions, type MockUpstream } from '../mock-upstream/server.js';
import { createUserWithKey, seedMockCatalogue } from './catalogue.js';
import { createTestDatabase, type TestDatabase } from './db.js';
import { startPgTap, type PgTap } from './pg-tap.js';
import { startTestGateway, type TestGateway } from './gateway.js';

export interface Harness {
  db: TestDatabase;
  mock: MockUpstream;
  gw: TestGateway;
  /** A user's API key (with `credits`) and its account. */
  key: string;
  accountId: string;
  /** The official openai SDK, pointed at the gateway with that key, no retries. */
  client: OpenAI;
  /** What the gateway sends to Postgres, when `tapPostgres` is set. */
  pgTap: PgTap | undefined;
}

export interface HarnessOptions {
  env?: Record<string, string>;
  /** Where the gateway's JSON log goes (default stderr, silent unless TEST_LOG_LEVEL). */
  logTo?: NodeJS.WritableStream;
  mock?: MockOptions;
  /** Seed the mock catalogue and create a user (default true). */
  seed?: boolean;
  credits?: string;
  /** Route the gateway's Postgres connections through a tap that records every statement. */
  tapPostgres?: boolean;
}

/**
 * One test file's world: a fresh database, a mock upstream, a gateway in-process, the mock
 * catalogue and a funded user — set up before the file's tests and torn down after. Fields are
 * filled in by beforeAll, so read them inside tests.
 */
export function useGatewayHarness(opts: HarnessOptions = {}, ready?: (h: Harness) => void): Harness {
  const h = {} as Harness;
  beforeAll(async () => {
    h.db = await createTestDatabase();
    h.mock = await startMockUpstream(opts.mock);
    h.pgTap = opts.tapPostgres ? await startPgTap(h.db.url) : undefined;
    h.gw = await startTestGateway({ databaseUrl: h.pgTap?.url ?? h.db.url, env: opts.env, logTo: opts.logTo });
    if (opts.seed !== false) {
      await seedMockCatalogue(h.gw, h.mock);
      const u = await createUserWithKey(h.gw, { credits: opts.credits ?? '100' });
      h.key = u.key;
      h.accountId = u.accountId;
      h.client = new OpenAI({ apiKey: u.key, baseURL: `${h.gw.url}/v1`, maxRetries: 0 });
    }
    ready?.(h);
  });
  afterAll(async () => {
    await h.gw?.close();
    await h.mock?.close();
    await h.pgTap?.close();
    await h.db?.drop();
  });
  return h;
}
