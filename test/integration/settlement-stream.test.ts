import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startMockUpstream, type MockUpstream } from '../mock-upstream/server.js';
import { CHAT_MODELS, createUserWithKey, seedMockCatalogue } from '../helpers/catalogue.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { TEST_REDIS_URL } from '../helpers/env.js';
import { startTestGateway } from '../helpers/gateway.js';
import { eventually, expectMoneyInvariants, quiescent } from '../helpers/invariants.js';
import { ownRedis, type OwnRedis } from '../helpers/redis-server.js';
import { spawnGateway, type GatewayProcess } from '../helpers/spawn.js';
import { waitFor } from '../helpers/wait.js';

let mock: MockUpstream;
const cleanup: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => undefined);
});
afterAll(async () => {
  await mock?.close();
});

/** A database with the mock catalogue and one account funded with `credits`, seeded by a short-lived gateway. */
async function setup(credits: string) {
  mock ??= await startMockUpstream({ latencyMs: 20, recordLimit: 0 });
  const db = await createTestDatabase();
  cleanup.push(() => db.drop());
  const prefix = `tgtest:${randomBytes(4).toString('hex')}:`;
  const seeder = await startTestGateway({ databaseUrl: db.url, redisPrefix: prefix });
  await seedMockCatalogue(seeder, mock);
  const user = await createUserWithKey(seeder, { credits });
  await seeder.close();
  return { db, prefix, ...user };
}

async function spawn(db: TestDatabase, prefix: string, name: string, env: Record<string, string>, redisUrl?: string): Promise<GatewayProcess> {
  const g = await spawnGateway({ databaseUrl: db.url, redisPrefix: prefix, redisUrl, name, env });
  cleanup.push(() => g.kill());
  return g;
}

async function chat(node: GatewayProcess, key: string): Promise<{ status: number; id: string }> {
  const res = await fetch(`${node.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: CHAT_MODELS.openai, max_tokens: 20, messages: [{ role: 'user', content: 'go [[reply:20]]' }] }),
  });
  await res.arrayBuffer();
  return { status: res.status, id: res.headers.get('x-request-id')! };
}

/** Every served request is charged exactly once, nothing else is, and the money adds up. */
async function expectServedCharged(db: TestDatabase, accountId: string, served: string[]): Promise<void> {
  const charges = await db.query<{ request_id: string }>("SELECT request_id FROM ledger WHERE kind = 'usage' AND account_id = $1", [accountId]);
  expect(charges).toHaveLength(served.length);
  expect(new Set(charges.map((c) => c.request_id))).toEqual(new Set(served));
  await expectMoneyInvariants(db, { noOpenHolds: true });
}

// Leases of dead instances expire after 1 s and the sweeper looks every 250 ms; a settlement read
// but not written for 1 s is claimed by another settler.
const fast = { SETTLEMENT_CLAIM_IDLE_MS: '1000', LEASE_TTL_MS: '1000', SWEEP_INTERVAL_MS: '250' };

describe('the settlement stream', () => {
  it('a settler killed (kill -9) with settlements read but not written: a survivor claims and writes them, and only then is its lease released', async () => {
    const { db, prefix, key, accountId } = await setup('1');
    // The victim keeps a large lease (it must serve while Postgres is locked below) and never gives it back idle.
    const victim = await spawn(db, prefix, 'victim', { ...fast, LEASE_TARGET_MS: '60000', LEASE_IDLE_MS: '600000' });
    await spawn(db, prefix, 'survivor', fast); // the settler that survives
    const served: string[] = [];
    for (const r of await Promise.all(Array.from({ length: 10 }, () => chat(victim, key)))) {
      expect(r.status).toBe(200);
      served.push(r.id);
    }

    // Settlement writes now wait on a lock: whatever a settler reads stays unwritten.
    const locker = new pg.Client({ connectionString: db.url });
    await locker.connect();
    cleanup.push(() => locker.end());
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE requests IN SHARE MODE');
    for (const r of await Promise.all(Array.from({ length: 6 }, () => chat(victim, key)))) {
      expect(r.status).toBe(200);
      served.push(r.id);
    }
    const redis = new Redis(TEST_REDIS_URL);
    cleanup.push(async () => redis.disconnect());
    const stream = `${prefix}{credits}:settlements`;
    const pendingOf = async (consumer: string) => ((await redis.xpending(stream, 'settlers', '-', '+', 100, consumer)) as unknown[]).length;
    await waitFor(async () => (await pendingOf('victim')) > 0, { what: 'the victim to have read settlements' });

    await victim.kill();
    await locker.query('COMMIT');

    // Only a claim takes entries off a dead consumer's list (the survivor is the one settler left);
    // the survivor then writes and acknowledges them, so nothing is pending anywhere.
    await eventually(async () => (await pendingOf('victim')) === 0, 15_000, "the victim's settlements claimed");
    await eventually(async () => (await pendingOf('survivor')) === 0, 15_000, 'the claimed settlements written and acknowledged');
    await quiescent(db);
    await expectServedCharged(db, accountId, served);
  }, 90_000);

  it('an Idempotency-Key repeat sent to another instance while the first settlement is still in the stream is replayed, not refused', async () => {
    // A Redis of its own: its command statistics below then count only these gateways.
    const redis: OwnRedis = await ownRedis();
    cleanup.push(() => redis.kill());
    const { db, prefix, key, accountId } = await setup('1');
    const nodes = [await spawn(db, prefix, 'gw-1', fast, redis.url), await spawn(db, prefix, 'gw-2', fast, redis.url)];
    const send = (node: GatewayProcess) =>
      fetch(`${node.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'idempotency-key': 'order-7' },
        body: JSON.stringify({ model: CHAT_MODELS.openai, max_tokens: 20, messages: [{ role: 'user', content: 'go [[reply:20]]' }] }),
      });
    // Settlement writes wait on a lock: the first request's outcome stays in the stream.
    const locker = new pg.Client({ connectionString: db.url });
    await locker.connect();
    cleanup.push(() => locker.end());
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE requests IN SHARE MODE');
    const first = await send(nodes[0]!);
    const firstBody = await first.text();
    expect(first.status).toBe(200);

    // Watch Redis for the repeat waiting on the stream (it reads the stream until its entry is gone):
    // this server carries only these gateways, and only that wait reads the stream with XRANGE.
    // (Counted from the server's command statistics: ioredis' MONITOR mode can fail on its own.)
    const client = new Redis(redis.url);
    client.on('error', () => undefined);
    cleanup.push(async () => client.disconnect());
    const xranges = async () => Number(/cmdstat_xrange:calls=(\d+)/.exec(await client.info('commandstats'))?.[1] ?? 0);
    const before = await xranges();
    const again = send(nodes[1]!);
    await waitFor(async () => (await xranges()) > before, { what: 'the repeat to wait for the first settlement' });
    await locker.query('COMMIT');

    const replay = await again;
    expect(replay.status).toBe(200);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(await replay.text()).toBe(firstBody);
    await quiescent(db);
    await expectServedCharged(db, accountId, [first.headers.get('x-request-id')!]);
  }, 60_000);

  it('Redis killed mid-load and restarted: settlements go to Postgres directly meanwhile, those it held are written after, none twice', async () => {
    const redis: OwnRedis = await ownRedis({ persistent: true });
    cleanup.push(() => redis.kill());
    const { db, prefix, key, accountId } = await setup('10');
    const nodes = [await spawn(db, prefix, 'gw-1', fast, redis.url), await spawn(db, prefix, 'gw-2', fast, redis.url)];

    const results: { status: number; id: string }[] = [];
    let stop = false;
    const load = Promise.all(
      Array.from({ length: 4 }, async (_, w) => {
        for (let i = 0; i < 400 && !stop; i++) results.push(await chat(nodes[(w + i) % 2]!, key));
      }),
    );
    const servedAtLeast = (n: number) => waitFor(() => results.length >= n, { what: `${n} responses`, deadlineMs: 60_000 });
    await servedAtLeast(40);
    await redis.kill();
    const atKill = results.length;
    await servedAtLeast(atKill + 40);
    await redis.start();
    const atRestart = results.length;
    await servedAtLeast(atRestart + 40);
    stop = true;
    await load;

    expect(results.filter((r) => r.status !== 200)).toEqual([]);
    await quiescent(db, 30_000);
    await expectServedCharged(db, accountId, results.map((r) => r.id));
  }, 120_000);
});
