import type { Queryable } from '../store/db.js';
import { InvalidRequestError, NotFoundError } from '../errors.js';
import type { Micros } from './money.js';

export interface BalanceChange {
  accountId: string;
  kind: 'grant' | 'adjustment' | 'refund';
  amount: Micros;
  note: string;
  actor: string;
  /** Makes the change idempotent: the same key applies once (ledger is unique per request id and kind). */
  idempotencyKey?: string;
}

/**
 * An admin credit change: one statement moves the balance and appends the ledger row, so the
 * two cannot disagree. A debit never takes the balance below what open holds have reserved.
 * Returns the new balance; a repeated idempotency key returns the balance without a second change.
 */
export async function changeBalance(db: Queryable, c: BalanceChange): Promise<{ balance: bigint; held: bigint; applied: boolean }> {
  const { rows } = await db.query<{ balance: string; held: string; applied: boolean; found: boolean }>(
    `WITH acct AS (SELECT id, balance, held FROM accounts WHERE id = $1::uuid),
          dup AS (SELECT 1 FROM ledger WHERE $6::text IS NOT NULL AND request_id = $6 AND kind = $2),
          upd AS (
            UPDATE accounts a SET balance = a.balance + $3::bigint, updated_at = now()
              FROM acct WHERE a.id = acct.id AND NOT EXISTS (SELECT 1 FROM dup) AND acct.balance + $3::bigint >= acct.held
            RETURNING a.id, a.balance, a.held),
          led AS (
            INSERT INTO ledger (account_id, kind, amount, note, actor, request_id)
            SELECT id, $2, $3::bigint, $4, $5, $6 FROM upd RETURNING id)
     SELECT COALESCE((SELECT balance FROM upd), (SELECT balance FROM acct))::text AS balance,
            COALESCE((SELECT held FROM upd), (SELECT held FROM acct))::text AS held,
            EXISTS (SELECT 1 FROM led) AS applied,
            EXISTS (SELECT 1 FROM acct) AS found`,
    [c.accountId, c.kind, c.amount.toString(), c.note, c.actor, c.idempotencyKey ?? null],
  );
  const r = rows[0]!;
  if (!r.found) throw new NotFoundError(`No account '${c.accountId}'.`, 'account_not_found');
  if (!r.applied) {
    const dup = c.idempotencyKey
      ? await db.query('SELECT 1 FROM ledger WHERE request_id = $1 AND kind = $2', [c.idempotencyKey, c.kind])
      : { rowCount: 0 };
    if (dup.rowCount) return { balance: BigInt(r.balance), held: BigInt(r.held), applied: false };
    throw new InvalidRequestError(
      `This change would take the balance below zero or below the ${r.held} microcredits held by requests in flight.`,
      { param: 'amount', code: 'insufficient_balance' },
    );
  }
  return { balance: BigInt(r.balance), held: BigInt(r.held), applied: true };
}

export function assertPositive(amount: Micros, field = 'amount'): void {
  if (amount <= 0n) throw new InvalidRequestError(`'${field}' must be greater than zero.`, { param: field, code: 'invalid_field' });
}
