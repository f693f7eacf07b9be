import { expect } from 'vitest';
import type { TestDatabase } from './db.js';
import { DEFAULT_DEADLINE_MS, waitFor } from './wait.js';

/**
 * The money invariants of the credits design (docs/ARCHITECTURE.md), checked straight in Postgres:
 * balance ≥ 0, held ≥ 0, balance == Σ ledger, held == Σ open holds + Σ leases, one usage entry per
 * request. `noOpenHolds`: nothing is held at all (no hold, no lease: the cluster is quiescent).
 */
export async function expectMoneyInvariants(db: TestDatabase, opts: { noOpenHolds?: boolean } = {}): Promise<void> {
  const accounts = await db.query<{ id: string; balance: string; held: string; ledger_sum: string; holds_sum: string }>(
    `SELECT a.id, a.balance::text, a.held::text,
            COALESCE((SELECT sum(amount) FROM ledger l WHERE l.account_id = a.id), 0)::text AS ledger_sum,
            (COALESCE((SELECT sum(amount) FROM holds h WHERE h.account_id = a.id), 0)
             + COALESCE((SELECT sum(amount) FROM leases l WHERE l.account_id = a.id), 0))::text AS holds_sum
       FROM accounts a`,
  );
  for (const a of accounts) {
    expect(BigInt(a.balance), `balance of ${a.id}`).toBeGreaterThanOrEqual(0n);
    expect(BigInt(a.held), `held of ${a.id}`).toBeGreaterThanOrEqual(0n);
    expect(a.balance, `balance == Σ ledger for ${a.id}`).toBe(a.ledger_sum);
    expect(a.held, `held == Σ holds + Σ leases for ${a.id}`).toBe(a.holds_sum);
    if (opts.noOpenHolds) expect(a.held, `no open holds on ${a.id}`).toBe('0');
  }
  if (opts.noOpenHolds) expect(await db.query('SELECT account_id, instance_id, amount::text FROM leases'), 'no lease left').toEqual([]);
  const dup = await db.query(`SELECT request_id FROM ledger WHERE kind = 'usage' GROUP BY request_id HAVING count(*) > 1`);
  expect(dup, 'a request charged twice').toEqual([]);
  const orphan = await db.query(`SELECT l.request_id FROM ledger l LEFT JOIN requests r ON r.id = l.request_id WHERE l.kind = 'usage' AND r.id IS NULL`);
  expect(orphan, 'a usage charge without its request row').toEqual([]);
}

/** Polls until fn returns a truthy value (see waitFor; the deadline bounds the wait, it asserts no speed). */
export function eventually<T>(fn: () => Promise<T | undefined | null | false>, deadlineMs = DEFAULT_DEADLINE_MS, what = 'condition'): Promise<T> {
  return waitFor(fn, { deadlineMs, what }) as Promise<T>;
}

/**
 * Waits until nothing is held: every hold settled or released and every lease given back (test
 * gateways give an idle lease back after LEASE_IDLE_MS, short in tests). `requestRows`: also until
 * the request log has that many rows — a refused or failed request held nothing, so nothing
 * held tells whether the settlers have written its row yet.
 */
export function quiescent(db: TestDatabase, deadlineMs = DEFAULT_DEADLINE_MS, opts: { requestRows?: number } = {}): Promise<true> {
  return eventually(
    async () =>
      (await db.query('SELECT 1 FROM holds UNION ALL SELECT 1 FROM leases')).length === 0 &&
      (opts.requestRows === undefined || (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM requests'))[0]!.n === opts.requestRows),
    deadlineMs,
    opts.requestRows === undefined ? 'no hold or lease left' : `no hold or lease left, and ${opts.requestRows} request rows`,
  );
}
