import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SettlementStream } from '../../src/credits/settlement-stream.js';
import { SettlementWriter } from '../../src/credits/settlements.js';
import { migrate } from '../../src/store/migrate.js';
import { PgDb } from '../../src/store/pg.js';
import { Signer } from '../../src/store/signer.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { TEST_REDIS_URL } from '../helpers/env.js';
import { testSettlement } from '../helpers/settlements.js';
import { waitFor } from '../helpers/wait.js';

/**
 * A settler lets settlements gather between batches (SETTLEMENT_LINGER_MS); a read that must be
 * exact does not wait that out: it wakes every settler, and what was appended before it is written.
 */
let redis: Redis;
let testDb: TestDatabase;
let db: PgDb;
let accountId: string;
const log = pino({ level: 'silent' });
const signer = new Signer(Buffer.from('settlement-linger-test-key-0123456789'), 'tollgate settlement seal v1');

beforeAll(async () => {
  redis = new Redis(TEST_REDIS_URL);
  testDb = await createTestDatabase();
  db = new PgDb({ connectionString: testDb.url, poolSize: 2 });
  await migrate(db);
  accountId = (await testDb.query<{ id: string }>("INSERT INTO accounts (name, balance) VALUES ('linger', 1000) RETURNING id"))[0]!.id;
  await testDb.query("INSERT INTO ledger (account_id, kind, amount) VALUES ($1, 'grant', 1000)", [accountId]);
});
afterAll(async () => {
  redis?.disconnect();
  await db?.close();
  await testDb?.drop();
});

const settlement = (cost: number) => testSettlement({ accountId, instanceId: 'linger-a', cost });

const written = async (id: string) => (await testDb.query('SELECT 1 FROM requests WHERE id = $1', [id])).length === 1;

describe('a lingering settler', () => {
  it('is woken by an exact read: what was appended before the read is written, however long the linger', async () => {
    const prefix = `linger-test:${randomUUID().slice(0, 8)}:`;
    // Ten minutes: longer than this test may run, so only the wake-up can get the second settlement written.
    const stream = new SettlementStream(redis, signer, new SettlementWriter(db, log, 'linger-a'), log, { instanceId: 'linger-a', prefix, claimIdleMs: 600_000, lingerMs: 600_000 });
    stream.start();
    try {
      // An idle settler reads at once; after that small batch it lingers.
      const first = settlement(5);
      await stream.append(first);
      await waitFor(() => written(first.requestId), { what: 'the first settlement in Postgres' });

      const second = settlement(7);
      await stream.append(second);
      await stream.written(600_000);
      expect(await written(second.requestId)).toBe(true);
      const [acct] = await testDb.query<{ balance: string }>('SELECT balance::text FROM accounts WHERE id = $1', [accountId]);
      expect(acct!.balance).toBe('988');
    } finally {
      await stream.stop();
    }
  });
});
