import { createHash, randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockUpstream, type MockUpstream } from '../mock-upstream/server.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { TEST_REDIS_URL } from '../helpers/env.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { chatStatus } from '../helpers/requests.js';

// What someone who can write to Redis, but does not hold ENCRYPTION_KEY, can do to the gateway.
// Two instances share one database and prefix: `leader` fans changes out, `follower` reads what
// the leader leaves in Redis and checks versions every 100 ms.

let tdb: TestDatabase;
let mock: MockUpstream;
let attacker: MockUpstream;
let redis: Redis;
let leader: TestGateway;
let follower: TestGateway;
const prefix = `tgtest:${randomBytes(4).toString('hex')}:`;
const logs = new Map<TestGateway, string[]>();
let key: string;
let principal: Record<string, string>;

function captured(lines: string[]): PassThrough {
  const out = new PassThrough();
  out.on('data', (b: Buffer) => lines.push(...b.toString().trim().split('\n')));
  return out;
}

async function start(instanceId: string, checkIntervalMs: number): Promise<TestGateway> {
  const lines: string[] = [];
  const gw = await startTestGateway({
    databaseUrl: tdb.url,
    redisPrefix: prefix,
    env: { INSTANCE_ID: instanceId, CONFIG_CHECK_INTERVAL_MS: String(checkIntervalMs), LOG_LEVEL: 'warn' },
    logTo: captured(lines),
  });
  logs.set(gw, lines);
  return gw;
}

beforeAll(async () => {
  tdb = await createTestDatabase();
  mock = await startMockUpstream();
  attacker = await startMockUpstream();
  redis = new Redis(TEST_REDIS_URL);
  leader = await start('trust-leader', 60_000);
  follower = await start('trust-follower', 100);
  await leader.admin('POST', '/providers', { id: 'openai', kind: 'openai', baseUrl: mock.baseUrl('openai'), keys: [{ secret: 'provider-secret-0001' }] });
  await leader.admin('POST', '/models', { alias: 'm', providerId: 'openai', upstreamModel: 'gpt-m', contextWindow: 1000, maxOutputTokens: 100, price: { inputPerMtok: '1', outputPerMtok: '2' } });
  const user = await leader.admin('POST', '/users', { email: 'victim@example.test', initialCredits: '100' });
  const created = await leader.admin('POST', `/users/${user.id}/keys`, {});
  key = created.key;
  principal = { keyId: created.id, keyPrefix: key.slice(0, 7), userId: user.id, userEmail: user.email, accountId: user.accountId, planId: user.planId };
}, 240_000);

afterAll(async () => {
  await follower?.close();
  await leader?.close();
  redis?.disconnect();
  await attacker?.close();
  await mock?.close();
  await tdb?.drop();
});

const idOf = (secret: string) => createHash('sha256').update(secret).digest('base64url');

const chat = (g: TestGateway, apiKey: string) => chatStatus(g.url, apiKey);

/** Polls until `done` holds (every 20 ms, up to `ms`); throws with `label` otherwise. */
async function until(ms: number, done: () => boolean | Promise<boolean>, label: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`${label}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const rejections = (gw: TestGateway, name: string) => logs.get(gw)!.filter((l) => l.includes('failed verification') && l.includes(name));

describe('what comes from Redis is believed only when this deployment wrote it', () => {
  it('a key verdict written into Redis does not authenticate a never-issued key', async () => {
    expect(leader.redis?.status).toBe('ready');
    const forged = `tg_forged_${randomBytes(8).toString('hex')}`;
    const name = `${prefix}key:${follower.gw.auth.keysVersion}:${idOf(forged)}`;
    await redis.set(name, JSON.stringify({ ok: true, principal }), 'EX', 600);
    expect(await chat(follower, forged)).toBe(401);
    expect(rejections(follower, `key:${follower.gw.auth.keysVersion}:`)).toHaveLength(1);
  });

  it("a genuine verdict copied under another key's name does not authenticate that key", async () => {
    expect(await chat(follower, key)).toBe(200);
    const genuine = `${prefix}key:${follower.gw.auth.keysVersion}:${idOf(key)}`;
    await until(5_000, async () => (await redis.exists(genuine)) === 1, 'verdict stored in Redis');
    const forged = `tg_forged_${randomBytes(8).toString('hex')}`;
    await redis.set(`${prefix}key:${follower.gw.auth.keysVersion}:${idOf(forged)}`, (await redis.get(genuine))!, 'EX', 600);
    expect(await chat(follower, forged)).toBe(401);
    // The genuine verdict still serves its own key on the other instance.
    expect(await chat(leader, key)).toBe(200);
  });

  it('a change event published by someone else is dropped', async () => {
    const before = follower.gw.auth.keysVersion;
    await redis.publish(`${prefix}config-events`, JSON.stringify({ kind: 'keys', version: 1e9 }));
    await until(5_000, () => follower.gw.auth.keysVersion === 1e9 || rejections(follower, 'config-events').length > 0, 'forged event handled');
    expect(follower.gw.auth.keysVersion).toBe(before);
  });

  it('a tampered catalogue snapshot (provider baseUrl) is not adopted; Postgres is read instead', async () => {
    const snapshotName = `${prefix}config:snapshot`;
    await until(5_000, async () => (await redis.exists(snapshotName)) === 1, 'snapshot in Redis');
    const text = (await redis.get(snapshotName))!;
    const start = text.indexOf('{');
    const snap = JSON.parse(text.slice(start)) as { version: number; rows: { providers: { id: string; base_url: string }[] } };
    snap.version += 100;
    for (const p of snap.rows.providers) p.base_url = attacker.baseUrl('openai');
    // Everything a Redis writer can do: the snapshot (its seal, if any, kept), the version marker, an event.
    await redis.set(snapshotName, text.slice(0, start) + JSON.stringify(snap));
    await redis.set(`${prefix}config:version`, String(snap.version));
    await redis.publish(`${prefix}config-events`, JSON.stringify({ kind: 'catalogue', version: snap.version }));
    // A committed change whose NOTIFY was lost: the follower's version check must catch up, and
    // the snapshot in Redis claims to be newer than it.
    const [row] = await tdb.query<{ version: string }>("UPDATE config_versions SET version = version + 1 WHERE name = 'catalogue' RETURNING version");
    const pgVersion = Number(row!.version);

    const baseUrl = () => follower.gw.config.current.providers.get('openai')!.baseUrl;
    await until(10_000, () => baseUrl() === attacker.baseUrl('openai') || follower.gw.config.version === pgVersion, 'follower caught up');
    expect(baseUrl()).toBe(mock.baseUrl('openai'));
    expect(follower.gw.config.version).toBe(pgVersion);
    expect(rejections(follower, 'config:snapshot')).toHaveLength(1);

    expect(await chat(follower, key)).toBe(200);
    expect(attacker.requests).toHaveLength(0);
  });
});
