import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Authenticator } from '../../src/auth/authenticator.js';
import { ConfigStore } from '../../src/config/store.js';
import { ConfigSync } from '../../src/config/sync.js';
import { createLogger } from '../../src/observability/logger.js';
import { migrate } from '../../src/store/migrate.js';
import { PgDb } from '../../src/store/pg.js';
import { SecretBox } from '../../src/store/secrets.js';
import { MemoryStore } from '../../src/store/shared.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { TEST_ENCRYPTION_KEY } from '../helpers/env.js';
import { waitFor } from '../helpers/wait.js';

let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await createTestDatabase();
});
afterAll(async () => tdb.drop());

describe('config sync when the database fails', () => {
  it('logs a change it cannot apply and keeps running (no unhandled rejection)', async () => {
    const db = new PgDb({ connectionString: tdb.url, poolSize: 2 });
    await migrate(db);
    const config = new ConfigStore(db, new SecretBox(TEST_ENCRYPTION_KEY));
    await config.reload();
    const lines: string[] = [];
    const out = new PassThrough();
    out.on('data', (b: Buffer) => lines.push(...b.toString().trim().split('\n')));
    const log = createLogger('warn', out);
    const store = new MemoryStore();
    // The sync only reads and evicts on the authenticator; this test sends no key change.
    const auth = { keysVersion: 0, evictHash: () => undefined, evictUser: () => undefined, invalidateAll: () => undefined } as unknown as Authenticator;
    const sync = new ConfigSync(db, store, config, auth, log, { instanceId: 't', checkIntervalMs: 60_000, leaseMs: 60_000 });
    await sync.start();

    const rejections: unknown[] = [];
    const onRejection = (r: unknown) => rejections.push(r);
    process.on('unhandledRejection', onRejection);
    try {
      await db.close(); // Postgres is gone for this instance: the reload a change asks for fails
      await store.publish('config-events', JSON.stringify({ kind: 'catalogue', version: config.version + 1 }));
      await waitFor(() => lines.some((l) => l.includes('config sync step failed')), { what: "the sync's failure to be logged" });
      expect(rejections).toEqual([]);
    } finally {
      process.off('unhandledRejection', onRejection);
      await sync.stop();
    }
  });
});
