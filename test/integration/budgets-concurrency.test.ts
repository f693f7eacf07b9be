import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockUpstream, type MockUpstream } from '../mock-upstream/server.js';
import { CHAT_MODELS, createUserWithKey, seedMockCatalogue } from '../helpers/catalogue.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { startTestGateway } from '../helpers/gateway.js';
import { expectMoneyInvariants, quiescent } from '../helpers/invariants.js';
import { TEST_ADMIN_TOKEN } from '../helpers/env.js';
import { spawnGateway, type GatewayProcess } from '../helpers/spawn.js';
import { waitFor } from '../helpers/wait.js';

let db: TestDatabase;
let mock: MockUpstream;
let instances: GatewayProcess[] = [];
let capped: { key: string; keyId: string; accountId: string; userId: string };
let sibling: { key: string; keyId: string };

// Each request: prompt 2 tokens, 20 output tokens → 42 µ; it holds 89 µ and needs room for 81 µ.
const KEY_DAY_CAP = 1_050n; // ≈ 25 requests
const USER_MONTH_CAP = 2_100n; // ≈ 50 requests, of both the user's keys together

beforeAll(async () => {
  db = await createTestDatabase();
  mock = await startMockUpstream({ latencyMs: 30, recordLimit: 0 });
  const prefix = `tgtest:${randomBytes(4).toString('hex')}:`;
  const seeder = await startTestGateway({ databaseUrl: db.url, redisPrefix: prefix });
  await seedMockCatalogue(seeder, mock);
  // The account could pay for 2,000 requests: the caps, not the balance, are what refuses.
  const u = await createUserWithKey(seeder, { credits: '0.084' });
  capped = { key: u.key, keyId: u.keyId, accountId: u.accountId, userId: u.user.id };
  const second = await seeder.admin('POST', `/users/${u.user.id}/keys`, { name: 'sibling' });
  sibling = { key: second.key, keyId: second.id };
  await seeder.admin('PATCH', `/keys/${u.keyId}/limits`, { caps: { day: '0.001050' } });
  await seeder.admin('PATCH', `/users/${u.user.id}/limits`, { caps: { month: '0.002100' } });
  await seeder.close();
  // A request waits (bounded) for settlements that could make room under a cap; set well above how
  // long 600 requests take on a shared two-core machine, so what is proved does not depend on its speed.
  const env = { CREDIT_WAIT_MS: '15000' };
  await Promise.all([1, 2, 3].map(async (i) => instances.push(await spawnGateway({ databaseUrl: db.url, redisPrefix: prefix, name: `gw-${i}`, env }))));
  instances.sort((a, b) => a.url.localeCompare(b.url));
}, 240_000);

afterAll(async () => {
  await Promise.all(instances.map((g) => g.stop()));
  await mock?.close();
  await db?.drop();
});

describe('budgets under concurrency across three gateway processes', () => {
  it("300 + 300 concurrent requests on two keys of one user: neither the key's daily cap nor the user's monthly cap is ever exceeded, spend == charges", async () => {
    const body = JSON.stringify({ model: CHAT_MODELS.openai, max_tokens: 20, messages: [{ role: 'user', content: 'go [[reply:20]]' }] });
    const burst = (key: string) =>
      Promise.all(
        Array.from({ length: 300 }, async (_, i) => {
          const res = await fetch(`${instances[i % 3]!.url}/v1/chat/completions`, {
            method: 'POST',
            headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
            body,
          });
          const json = (await res.json()) as { usage?: { completion_tokens: number }; error?: { code: string; message: string } };
          return { status: res.status, id: res.headers.get('x-request-id')!, key, json, scope: res.headers.get('x-tollgate-budget-scope') };
        }),
      );
    // 300 at once on the capped key: its daily cap (≈ 25 requests) refuses the rest; then 300 at
    // once on its sibling: the user's monthly cap (≈ 50 requests of both keys) refuses the rest.
    // While they run, what is spent plus what requests in flight reserve never exceeds a cap (that is
    // what makes spend ≤ cap for any cost up to the hold): sampled straight from Postgres.
    let running = true;
    const overdrawn: unknown[] = [];
    const watcher = (async () => {
      while (running) {
        overdrawn.push(
          ...(await db.query('SELECT b.period, u.spent::text, u.reserved::text FROM budgets b JOIN budget_usage u ON u.budget_id = b.id WHERE u.spent + u.reserved > b.limit_amount')),
        );
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const first = await burst(capped.key);
    const second = await burst(sibling.key);
    running = false;
    await watcher;
    expect(overdrawn).toEqual([]);
    const results = [...first, ...second];
    const served = results.filter((r) => r.status === 200);
    const refused = results.filter((r) => r.status === 402);
    expect(served.length + refused.length).toBe(600);
    expect(refused.every((r) => r.json.error?.code === 'budget_exceeded')).toBe(true);
    expect(first.filter((r) => r.status === 402).every((r) => r.scope === 'key')).toBe(true);
    expect(second.filter((r) => r.status === 402).every((r) => r.scope === 'user')).toBe(true);
    expect(first.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(20);
    expect(second.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(20);

    await quiescent(db, undefined, { requestRows: 600 });
    await expectMoneyInvariants(db, { noOpenHolds: true });
    const rows = await db.query<{ id: string; api_key_id: string; cost: string }>('SELECT id, api_key_id::text, cost::text FROM requests WHERE account_id = $1', [capped.accountId]);
    expect(rows).toHaveLength(600);
    const spentBy = (keyId?: string) => rows.filter((r) => !keyId || r.api_key_id === keyId).reduce((s, r) => s + BigInt(r.cost), 0n);
    // Never above a cap…
    expect(spentBy(capped.keyId)).toBeLessThanOrEqual(KEY_DAY_CAP);
    expect(spentBy()).toBeLessThanOrEqual(USER_MONTH_CAP);
    // …and refused only when a request could not have fitted: less than one request's minimum (81 µ) was left.
    expect(spentBy(capped.keyId)).toBeGreaterThan(KEY_DAY_CAP - 81n);
    expect(spentBy()).toBeGreaterThan(USER_MONTH_CAP - 81n);

    // Served == charged: every served request has its one usage entry, and nothing else was charged.
    const charges = await db.query<{ request_id: string; amount: string }>("SELECT request_id, amount::text FROM ledger WHERE kind = 'usage' AND account_id = $1", [capped.accountId]);
    expect(new Set(charges.map((c) => c.request_id))).toEqual(new Set(served.map((r) => r.id)));
    expect(charges.reduce((s, c) => s - BigInt(c.amount), 0n)).toBe(spentBy());

    // The caps' books agree with the request log, and nothing is reserved any more.
    await expect(db.query('SELECT request_id FROM budget_reservations')).resolves.toEqual([]);
    const usage = await db.query<{ owner: string; spent: string; reserved: string }>(
      `SELECT COALESCE(b.api_key_id::text, b.user_id::text) AS owner, u.spent::text, u.reserved::text
         FROM budgets b JOIN budget_usage u ON u.budget_id = b.id ORDER BY b.period`,
    );
    expect(usage).toEqual([
      { owner: capped.keyId, spent: spentBy(capped.keyId).toString(), reserved: '0' },
      { owner: capped.userId, spent: spentBy().toString(), reserved: '0' },
    ]);
    const byInstance = await db.query<{ instance_id: string; n: number }>('SELECT instance_id, count(*)::int AS n FROM requests GROUP BY 1 ORDER BY 1');
    expect(byInstance).toEqual([{ instance_id: 'gw-1', n: 200 }, { instance_id: 'gw-2', n: 200 }, { instance_id: 'gw-3', n: 200 }]);
  }, 120_000);

  it('a cap or an allowlist set through one instance applies on the others within moments (their cached keys are evicted)', async () => {
    const admin = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${instances[0]!.url}/admin/api${path}`, {
        method,
        headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      expect(res.ok).toBe(true);
      return (await res.json()) as any;
    };
    const user = await admin('POST', '/users', { email: 'late-cap@example.test', initialCredits: '1' });
    const key = await admin('POST', `/users/${user.id}/keys`, { name: 'k' });
    const ask = (model: string = CHAT_MODELS.openai) =>
      fetch(`${instances[2]!.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model, max_tokens: 20, messages: [{ role: 'user', content: 'go [[reply:20]]' }] }),
      }).then(async (r) => ({ status: r.status, code: ((await r.json()) as { error?: { code: string } }).error?.code }));
    // Another instance has the key cached as uncapped…
    expect((await ask()).status).toBe(200);
    await admin('PATCH', `/keys/${key.id}/limits`, { caps: { day: '0.00005' } });
    // …and refuses it once the change reaches it (the 42 µ spent is counted: 8 µ are left).
    await waitFor(async () => (await ask()).code === 'budget_exceeded', { what: 'the cap on another instance' });
    await admin('PATCH', `/keys/${key.id}/limits`, { caps: { day: null }, allowedModels: [CHAT_MODELS.anthropic] });
    await waitFor(async () => (await ask()).code === 'model_not_allowed', { what: 'the allowlist on another instance' });
    expect((await ask(CHAT_MODELS.anthropic)).status).toBe(200);
  }, 60_000);
});
