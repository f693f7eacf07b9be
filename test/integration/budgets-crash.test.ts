import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockUpstream, type MockUpstream } from '../mock-upstream/server.js';
import { CHAT_MODELS, createUserWithKey, seedMockCatalogue } from '../helpers/catalogue.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { startTestGateway } from '../helpers/gateway.js';
import { expectMoneyInvariants, quiescent } from '../helpers/invariants.js';
import { injectFault } from '../helpers/mock-control.js';
import { spawnGateway, type GatewayProcess } from '../helpers/spawn.js';
import { waitFor } from '../helpers/wait.js';

let db: TestDatabase;
let mock: MockUpstream;
let prefix: string;
let capped: { key: string; keyId: string };
const running: GatewayProcess[] = [];

// A reservation its instance no longer renews expires after 1 s; the sweeper runs often.
const env = { LEASE_TTL_MS: '1000', SWEEP_INTERVAL_MS: '250' };

beforeAll(async () => {
  db = await createTestDatabase();
  mock = await startMockUpstream();
  prefix = `tgtest:${randomBytes(4).toString('hex')}:`;
  const seeder = await startTestGateway({ databaseUrl: db.url, redisPrefix: prefix });
  await seedMockCatalogue(seeder, mock);
  const u = await createUserWithKey(seeder, { credits: '10' });
  capped = { key: u.key, keyId: u.keyId };
  await seeder.admin('PATCH', `/keys/${u.keyId}/limits`, { caps: { day: '1' } });
  await seeder.close();
}, 240_000);

afterAll(async () => {
  await Promise.all(running.map((g) => g.kill()));
  await mock?.close();
  await db?.drop();
});

const chat = (url: string, content: string) =>
  fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${capped.key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: CHAT_MODELS.openai, max_tokens: 20, messages: [{ role: 'user', content }] }),
  });

const usage = async () =>
  (await db.query<{ spent: string; reserved: string }>('SELECT u.spent::text, u.reserved::text FROM budgets b JOIN budget_usage u ON u.budget_id = b.id WHERE b.api_key_id = $1', [capped.keyId]))[0]!;

const spentByRequests = async () => BigInt((await db.query<{ s: string }>('SELECT COALESCE(sum(cost), 0)::text AS s FROM requests WHERE api_key_id = $1', [capped.keyId]))[0]!.s);

describe('budget reservations when requests outlive their expiry, and when an instance dies', () => {
  it('a request slower than the reservation expiry keeps its reservation (renewed) and its cost is spent once', async () => {
    const a = await spawnGateway({ databaseUrl: db.url, redisPrefix: prefix, name: 'slow', env });
    running.push(a);
    await injectFault(mock, { match: 'slow-one', fault: { type: 'slow_first_byte', ms: 3_000 } });
    const pending = chat(a.url, 'slow-one');
    await waitFor(async () => (await usage())?.reserved !== '0', { what: 'the reservation' });
    const reserved = (await usage()).reserved;
    // Past its first expiry (1 s) with the sweeper running every 250 ms, the reservation is still
    // there, renewed, as the request is in flight: watched until the renewal has carried it past.
    const expiry = async () => (await db.query<{ t: Date | null }>('SELECT max(expires_at) AS t FROM budget_reservations'))[0]!.t;
    const firstExpiry = (await expiry())!.getTime();
    const seen: string[] = [];
    await waitFor(
      async () => {
        seen.push((await usage()).reserved);
        const now = await expiry();
        return Date.now() > firstExpiry + 500 && now !== null && now.getTime() > firstExpiry;
      },
      { what: 'the reservation renewed past its first expiry' },
    );
    expect(new Set(seen)).toEqual(new Set([reserved]));
    expect((await pending).status).toBe(200);
    await waitFor(async () => (await usage()).reserved === '0', { what: 'the settlement' });
    expect(BigInt((await usage()).spent)).toBe(await spentByRequests());
    await a.stop();
    running.splice(running.indexOf(a), 1);
  }, 60_000);

  it("a killed instance's reservations are released by a survivor's sweeper; what was settled stays spent", async () => {
    const victim = await spawnGateway({ databaseUrl: db.url, redisPrefix: prefix, name: 'victim', env });
    const survivor = await spawnGateway({ databaseUrl: db.url, redisPrefix: prefix, name: 'survivor', env });
    running.push(victim, survivor);
    expect((await chat(victim.url, 'before the crash')).status).toBe(200);
    await injectFault(mock, { match: 'never-finishes', times: 3, fault: { type: 'slow_first_byte', ms: 60_000 } });
    const inFlight = [0, 1, 2].map(() => chat(victim.url, 'never-finishes').catch(() => undefined));
    await waitFor(async () => (await db.query("SELECT 1 FROM budget_reservations WHERE instance_id = 'victim'")).length === 3, { what: 'three reservations' });
    await victim.kill();
    void Promise.all(inFlight);

    // The survivor's sweeper gives them back once expired; the key can spend its cap again.
    await waitFor(async () => (await db.query('SELECT 1 FROM budget_reservations')).length === 0, { what: 'the reservations to be released' });
    expect((await usage()).reserved).toBe('0');
    expect((await chat(survivor.url, 'after the crash')).status).toBe(200);
    await quiescent(db);
    await waitFor(async () => BigInt((await usage()).spent) === (await spentByRequests()), { what: 'spent == the request log' });
    expect((await usage()).reserved).toBe('0');
    await expectMoneyInvariants(db, { noOpenHolds: true });
  }, 90_000);
});
