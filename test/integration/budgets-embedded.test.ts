import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BudgetService, settleBudgets } from '../../src/credits/budgets.js';
import { setCaps } from '../../src/credits/budget-caps.js';
import { micros } from '../../src/credits/money.js';
import { createLogger } from '../../src/observability/logger.js';
import type { PgliteDb } from '../../src/store/pglite.js';
import { createOwner, openEmbedded, PGLITE_DEADLINE_MS } from '../helpers/embedded.js';

/** Budgets and alert firing on the embedded database (PGlite), the default single-instance mode: the same SQL. */

let db: PgliteDb;
let keyId: string;
let userId: string;

beforeAll(async () => {
  db = await openEmbedded();
  ({ userId, keyId } = await createOwner(db));
}, PGLITE_DEADLINE_MS);
afterAll(async () => db?.close());

describe('budgets on PGlite', () => {
  it('reserves against the caps, refuses past them, settles spend once and sweeps expired reservations', async () => {
    await db.transaction(async (tx) => {
      await setCaps(tx, { keyId }, { day: '0.0001' });
      await setCaps(tx, { userId }, { lifetime: '1' });
    });
    const budgets = new BudgetService(db, createLogger('silent'), { instanceId: 'embedded', ttlMs: 60_000 });
    const req = (id: string) => ({ requestId: id, keyId, userId, wanted: micros(60), min: micros(30) });
    expect(await budgets.reserve(req('r1'))).toMatchObject({ ok: true, granted: 60n, binding: { scope: 'key', period: 'day' } });
    expect(await budgets.reserve(req('r2'))).toMatchObject({ ok: true, granted: 40n });
    expect(await budgets.reserve(req('r3'))).toMatchObject({ ok: false, binding: { scope: 'key', limit: 100n, spent: 0n, reserved: 100n } });
    await settleBudgets(db, [{ requestId: 'r1', cost: micros(25) }, { requestId: 'r2', cost: micros(10) }]);
    await settleBudgets(db, [{ requestId: 'r1', cost: micros(25) }]);
    const rows = async () => (await db.query<{ period: string; spent: string; reserved: string }>('SELECT b.period, u.spent, u.reserved FROM budgets b JOIN budget_usage u ON u.budget_id = b.id ORDER BY b.period')).rows;
    expect(await rows()).toEqual([
      { period: 'day', spent: '35', reserved: '0' },
      { period: 'lifetime', spent: '35', reserved: '0' },
    ]);
    await db.query(`SELECT * FROM reserve_budgets('r4', $1, $2, 50, 1, 'gone', 1)`, [keyId, userId]);
    await db.query("UPDATE budget_reservations SET expires_at = now() - interval '1 second'");
    expect(await budgets.releaseExpired([])).toBe(2);
    expect((await rows()).map((r) => r.reserved)).toEqual(['0', '0']);
  });

  it('fires a budget alert once per threshold and period', async () => {
    const hook = (await db.query<{ id: string }>("INSERT INTO webhooks (url, secret_encrypted, secret_last4) VALUES ('http://127.0.0.1:9/x', 'sealed', 'abcd') RETURNING id")).rows[0]!.id;
    await db.query("INSERT INTO alerts (webhook_id, kind, api_key_id, period, thresholds) VALUES ($1, 'budget', $2, 'day', '{10,30,90}')", [hook, keyId]);
    expect((await db.query<{ n: number }>('SELECT fire_alerts() AS n')).rows[0]!.n).toBe(2);
    expect((await db.query<{ n: number }>('SELECT fire_alerts() AS n')).rows[0]!.n).toBe(0);
    expect((await db.query('SELECT 1 FROM webhook_deliveries')).rowCount).toBe(2);
  });

  it('counts a cap as reached once it refuses a request for the rest of its period, not while reservations in flight crowd it', async () => {
    const budgets = new BudgetService(db, createLogger('silent'), { instanceId: 'embedded', ttlMs: 60_000 });
    const req = (id: string) => ({ requestId: id, keyId, userId, wanted: micros(60), min: micros(30) });
    const hook = (await db.query<{ id: string }>('SELECT id FROM webhooks LIMIT 1')).rows[0]!.id;
    const alert = async (thresholds: string) => db.query("INSERT INTO alerts (webhook_id, kind, api_key_id, period, thresholds) VALUES ($1, 'budget', $2, 'day', $3)", [hook, keyId, thresholds]);
    const fire = async () => (await db.query<{ n: number }>('SELECT fire_alerts() AS n')).rows[0]!.n;
    await alert('{100}');
    // The day's cap is 100 with 35 spent: one request reserves 60; the next finds 5 beside it, refused only for now.
    expect(await budgets.reserve(req('r5'))).toMatchObject({ ok: true, granted: 60n });
    expect(await budgets.reserve(req('r6'))).toMatchObject({ ok: false });
    expect(await fire()).toBe(0);
    // Spent 95: 5 left, below the least a request costs. The refusal is for good this day: 100 % fires, once.
    await settleBudgets(db, [{ requestId: 'r5', cost: micros(60) }]);
    expect(await fire()).toBe(1); // the 90 % of the alert before
    expect(await budgets.reserve(req('r7'))).toMatchObject({ ok: false });
    expect(await fire()).toBe(1);
    const [payload] = (await db.query<{ payload: any }>("SELECT payload FROM webhook_deliveries WHERE payload->'data'->>'threshold_percent' = '100'")).rows;
    expect(payload!.payload.data).toMatchObject({ cap_reached: true, spent_microcredits: '95', limit_microcredits: '100' });
    expect(await budgets.reserve(req('r8'))).toMatchObject({ ok: false });
    expect(await fire()).toBe(0);
    // A raised cap is not reached by the refusal under the old one.
    await db.transaction((tx) => setCaps(tx, { keyId }, { day: '0.001' }));
    await alert('{99}');
    expect(await fire()).toBe(0);
  });
});
