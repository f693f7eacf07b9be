import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AlertDispatcher } from '../../src/alerts/dispatcher.js';
import { createWebhook, listDeliveries } from '../../src/alerts/webhook-store.js';
import type { Queryable } from '../../src/store/db.js';
import { migrate } from '../../src/store/migrate.js';
import { PgDb } from '../../src/store/pg.js';
import { SecretBox } from '../../src/store/secrets.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { TEST_ENCRYPTION_KEY } from '../helpers/env.js';
import { waitFor } from '../helpers/wait.js';

/**
 * "Send test" answers with the attempt it made, as that attempt recorded it — not with the delivery
 * as it stands a moment later, when another instance may already have claimed its retry.
 */
let testDb: TestDatabase;
let db: PgDb;
const log = pino({ level: 'silent' });
const secrets = new SecretBox(TEST_ENCRYPTION_KEY);
const opts = { intervalMs: 60_000, retryBaseMs: 10, maxAttempts: 3, timeoutMs: 2_000, allowPrivate: true };

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = new PgDb({ connectionString: testDb.url, poolSize: 3 });
  await migrate(db);
});
afterAll(async () => {
  await db?.close();
  await testDb?.drop();
});

it('answers with its own attempt even when another instance retries the delivery before the answer is read', async () => {
  const hook = await createWebhook(db, secrets, { url: 'http://127.0.0.1:9/nobody-listens' });
  const other = new AlertDispatcher(db, secrets, log, opts);
  // The sender's database: once its attempt is recorded, another instance claims and retries the
  // delivery (it is due after the first backoff) before anything else the sender asks is answered.
  let raced = false;
  const racing: Queryable = {
    exec: (sql) => db.exec(sql),
    query: async (sql, params) => {
      const result = await db.query(sql, params);
      if (!raced && /UPDATE webhook_deliveries SET state/.test(sql)) {
        raced = true;
        await waitFor(async () => {
          await other.tick();
          return ((await listDeliveries(db, hook.id, 1))[0]?.attempts ?? 0) >= 2;
        }, { what: 'another instance to retry the test delivery' });
      }
      return result as never;
    },
  };
  const sender = new AlertDispatcher(racing, secrets, log, opts);
  try {
    const answer = await sender.sendTest(hook.id);
    expect(raced).toBe(true);
    expect(answer).toMatchObject({ webhookId: hook.id, eventType: 'test', state: 'pending', attempts: 1, lastStatus: null });
    expect(answer!.lastError).toBeTruthy();
    // The log has moved on meanwhile: the retry is its own attempt.
    expect((await listDeliveries(db, hook.id, 1))[0]).toMatchObject({ id: answer!.id });
    expect((await listDeliveries(db, hook.id, 1))[0]!.attempts).toBeGreaterThanOrEqual(2);
  } finally {
    await Promise.all([sender.stop(), other.stop()]);
  }
});
