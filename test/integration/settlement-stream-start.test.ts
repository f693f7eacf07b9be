import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CreditService } from '../../src/credits/service.js';
import { SettlementStream } from '../../src/credits/settlement-stream.js';
import { SettlementWriter } from '../../src/credits/settlements.js';
import { migrate } from '../../src/store/migrate.js';
import { PgDb } from '../../src/store/pg.js';
import { createRedis } from '../../src/store/redis.js';
import { Signer } from '../../src/store/signer.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { ownRedis, type OwnRedis } from '../helpers/redis-server.js';
import { testSettlement } from '../helpers/settlements.js';
import { waitFor } from '../helpers/wait.js';

/**
 * A settler whose Redis is not up yet when the instance starts (a loaded machine, a cluster still
 * forming) waits for it quietly — the instance has said once that Redis is not reachable — and
 * settles as soon as it is; once it has worked, losing Redis for longer than a blip is a warning.
 */
let testDb: TestDatabase;
let db: PgDb;
let server: OwnRedis;
let accountId: string;
const warnings: string[] = [];
const log = pino(
  { level: 'warn' },
  new Writable({
    write(chunk: Buffer, _enc, done) {
      warnings.push(chunk.toString());
      done();
    },
  }),
);
const signer = new Signer(Buffer.from('settlement-start-test-key-0123456789'), 'tollgate settlement seal v1');

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = new PgDb({ connectionString: testDb.url, poolSize: 2 });
  await migrate(db);
  accountId = (await testDb.query<{ id: string }>("INSERT INTO accounts (name, balance) VALUES ('start', 1000) RETURNING id"))[0]!.id;
  await testDb.query("INSERT INTO ledger (account_id, kind, amount) VALUES ($1, 'grant', 1000)", [accountId]);
  server = await ownRedis();
  await server.kill(); // nothing listens on its port until the test starts it
});
afterAll(async () => {
  await server?.kill();
  await db?.close();
  await testDb?.drop();
});

const settlement = (cost: number) => testSettlement({ accountId, instanceId: 'start-a', cost });

const written = async (id: string) => (await testDb.query('SELECT 1 FROM requests WHERE id = $1', [id])).length === 1;
const streamWarnings = () => warnings.filter((l) => /settlement stream unavailable/.test(l));

it('waits quietly for a Redis that is not up at start, settles once it is, and warns when it is lost later', async () => {
  const redis = createRedis(server.url, () => undefined);
  const stream = new SettlementStream(redis, signer, new SettlementWriter(db, log, 'start-a'), log, { instanceId: 'start-a', prefix: `start-test:${randomUUID().slice(0, 8)}:`, claimIdleMs: 60_000 });
  stream.start();
  try {
    // Longer than the settler's 2-s grace for a blip, with Redis still not there.
    const since = Date.now();
    await waitFor(() => Date.now() - since > 3_000, { what: 'the settler to have waited past its grace for a blip', intervalMs: 100 });
    expect(streamWarnings()).toEqual([]);

    await server.start();
    const s = settlement(5);
    await waitFor(async () => {
      await stream.append(s);
      return true;
    }, { what: 'Redis to take the settlement' });
    await waitFor(() => written(s.requestId), { what: 'the settlement in Postgres' });
    expect(streamWarnings()).toEqual([]);

    // Lost after it worked: an outage, said once it outlasts a blip.
    await server.kill();
    await waitFor(() => streamWarnings().length > 0, { what: 'a warning that the settlement stream is unavailable' });
  } finally {
    await stream.stop();
    redis.disconnect();
  }
}, 60_000);

it('writes a settlement to Postgres directly while Redis has not come up since start, quietly; after it has, with a warning', async () => {
  const own = await ownRedis();
  await own.kill();
  const redis = createRedis(own.url, () => undefined);
  const credits = new CreditService(db, log, { instanceId: 'start-b', lease: { ttlMs: 30_000, idleMs: 5_000, targetMs: 1_000, waitMs: 0 } });
  const stream = new SettlementStream(redis, signer, new SettlementWriter(db, log, 'start-b'), log, { instanceId: 'start-b', prefix: `start-test:${randomUUID().slice(0, 8)}:`, claimIdleMs: 60_000 });
  credits.useStream(stream);
  const settle = async (cost: number) => {
    const s = settlement(cost);
    await credits.settle({ requestId: s.requestId, accountId, cost: s.cost, row: s.row });
    return s.requestId;
  };
  const before = warnings.length;
  const fallbackWarnings = () => warnings.slice(before).filter((l) => /writing settlements to Postgres directly/.test(l));
  try {
    // Served before Redis is up: written by the request itself, and no outage to report.
    expect(await written(await settle(3))).toBe(true);
    expect(fallbackWarnings()).toEqual([]);

    await own.start();
    await waitFor(() => redis.status === 'ready', { what: 'the connection to come up' });
    await settle(2);
    // Lost after it was up: the fallback is worth saying.
    await own.kill();
    await waitFor(() => redis.status !== 'ready', { what: 'the connection to drop' });
    expect(await written(await settle(1))).toBe(true);
    expect(fallbackWarnings()).toHaveLength(1);
  } finally {
    await stream.stop();
    redis.disconnect();
    await own.kill();
  }
}, 60_000);
