import type { Account, LedgerEntry, LedgerPage } from '../sdk/admin-api/index.js';
import type { Queryable } from '../store/db.js';
import { isoTime } from '../store/sql.js';
import { formatCredits } from './money.js';

/** Accounts and their ledger as the admin API shows them (balances in credits and in microcredits). */

const ACCOUNT_SELECT = `SELECT a.id, a.name, a.balance::text AS "balanceMicros", a.held::text AS "heldMicros",
  ${isoTime('a.created_at')} AS "createdAt", (SELECT count(*)::int FROM users u WHERE u.account_id = a.id) AS "userCount" FROM accounts a`;

type AccountRow = Omit<Account, 'balance' | 'held' | 'available'>;

/** Balance, held and available as credits, from the exact microcredit columns. */
export function creditsView(balance: bigint, held: bigint): Pick<Account, 'balance' | 'held' | 'available'> {
  return { balance: formatCredits(balance), held: formatCredits(held), available: formatCredits(balance - held) };
}

const withCredits = (a: AccountRow): Account => ({ ...a, ...creditsView(BigInt(a.balanceMicros), BigInt(a.heldMicros)) });

/** Newest first, at most 500; `q` matches the account name. */
export async function listAccounts(db: Queryable, q: string): Promise<Account[]> {
  const { rows } = await db.query<AccountRow>(`${ACCOUNT_SELECT} WHERE ($1 = '' OR a.name ILIKE '%' || $1 || '%') ORDER BY a.created_at DESC LIMIT 500`, [q]);
  return rows.map(withCredits);
}

export async function getAccount(db: Queryable, id: string): Promise<Account | undefined> {
  const row = (await db.query<AccountRow>(`${ACCOUNT_SELECT} WHERE a.id = $1`, [id])).rows[0];
  return row && withCredits(row);
}

/** One page of an account's ledger, newest first; `before` is the previous page's `nextBefore`. */
export async function ledgerPage(db: Queryable, accountId: string, page: { limit: number; before: string | null }): Promise<LedgerPage> {
  // Ordered by the bigint column, not the text it is selected as ("99" would sort above "154").
  const { rows } = await db.query<Omit<LedgerEntry, 'amountCredits'>>(
    `SELECT l.id::text AS id, l.kind, l.amount::text AS amount, l.request_id AS "requestId", l.note, l.actor, ${isoTime('l.created_at')} AS "createdAt"
       FROM ledger l WHERE l.account_id = $1 AND ($2::bigint IS NULL OR l.id < $2) ORDER BY l.id DESC LIMIT $3`,
    [accountId, page.before, page.limit],
  );
  return {
    data: rows.map((l) => ({ ...l, amountCredits: formatCredits(BigInt(l.amount)) })),
    nextBefore: rows.length === page.limit ? rows.at(-1)!.id : null,
  };
}

/** The account's whole ledger, newest first, a page at a time (an export reads it with bounded memory). */
export async function* ledgerPages(db: Queryable, accountId: string, pageSize = 1_000): AsyncGenerator<LedgerEntry[]> {
  let before: string | null = null;
  do {
    const page = await ledgerPage(db, accountId, { limit: pageSize, before });
    if (page.data.length) yield page.data;
    before = page.nextBefore;
  } while (before);
}

/**
 * An account's balance and what requests in flight hold of it, as the account's own keys read it:
 * `held` is the requests' own holds (`holds`); credit instances lease (`leased`) is not spent and
 * not reserved by any request as such — their requests' holds come out of it in memory.
 */
export async function accountBalance(db: Queryable, id: string): Promise<{ name: string; balance: bigint; held: bigint; leased: bigint } | undefined> {
  const row = (
    await db.query<{ name: string; balance: string; held: string; leased: string }>(
      `SELECT a.name, a.balance::text AS balance, COALESCE((SELECT sum(h.amount) FROM holds h WHERE h.account_id = a.id), 0)::text AS held,
              COALESCE((SELECT sum(l.amount) FROM leases l WHERE l.account_id = a.id), 0)::text AS leased
         FROM accounts a WHERE a.id = $1`,
      [id],
    )
  ).rows[0];
  return row && { name: row.name, balance: BigInt(row.balance), held: BigInt(row.held), leased: BigInt(row.leased) };
}
