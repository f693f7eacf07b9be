import { changeBalance } from '../credits/ledger.js';
import type { Micros } from '../credits/money.js';
import type { User, UserUpdate } from '../sdk/admin-api/index.js';
import type { Queryable } from '../store/db.js';
import { isoTime, setClause } from '../store/sql.js';

/** Users and the accounts they draw on: the writes (admin API and first start) and the admin API's reads. */

const USER_SELECT = `SELECT u.id, u.email, u.name, u.plan_id AS "planId", u.disabled, u.account_id AS "accountId", a.name AS "accountName",
  a.balance::text AS "balanceMicros", a.held::text AS "heldMicros", ${isoTime('u.created_at')} AS "createdAt", ${isoTime('u.updated_at')} AS "updatedAt",
  (SELECT count(*)::int FROM api_keys k WHERE k.user_id = u.id AND k.revoked_at IS NULL) AS "activeKeys"
  FROM users u JOIN accounts a ON a.id = u.account_id`;

const USER_COLUMNS = { name: 'name', planId: 'plan_id', disabled: 'disabled' };

export async function createAccount(db: Queryable, name: string): Promise<string> {
  return (await db.query<{ id: string }>('INSERT INTO accounts (name) VALUES ($1) RETURNING id', [name])).rows[0]!.id;
}

/** Emails are stored lower-case (they identify the user); the plan defaults to 'default'. */
export async function insertUser(db: Queryable, u: { accountId: string; email: string; name?: string; planId?: string }): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO users (account_id, email, name, plan_id) VALUES ($1, $2, $3, COALESCE($4, 'default')) RETURNING id`,
    [u.accountId, u.email.toLowerCase(), u.name ?? '', u.planId ?? null],
  );
  return rows[0]!.id;
}

export interface NewUser {
  email: string;
  name?: string;
  planId?: string;
  /** Join this account; omitted: a new account named `accountName` (default: the email) is opened. */
  accountId?: string;
  accountName?: string;
  /** Granted to the account in the same transaction. */
  initialCredits: Micros;
}

/** Creates a user (and its account, and the initial grant); run it in a transaction so they land together. */
export async function createUser(db: Queryable, u: NewUser & { actor?: string }): Promise<User> {
  const accountId = u.accountId ?? (await createAccount(db, u.accountName ?? u.email));
  const id = await insertUser(db, { ...u, accountId });
  if (u.initialCredits > 0n) await changeBalance(db, { accountId, kind: 'grant', amount: u.initialCredits, note: 'initial credits', actor: u.actor ?? 'admin' });
  return (await getUser(db, id))!;
}

export async function updateUser(db: Queryable, id: string, patch: UserUpdate): Promise<User | undefined> {
  const set = setClause(patch, USER_COLUMNS, 2);
  const { rowCount } = await db.query(`UPDATE users SET ${set.sql}, updated_at = now() WHERE id = $1`, [id, ...set.values]);
  return rowCount ? getUser(db, id) : undefined;
}

/** Newest first, at most 500; `q` matches email or name. */
export async function listUsers(db: Queryable, q: string): Promise<User[]> {
  return (await db.query<User>(`${USER_SELECT} WHERE ($1 = '' OR u.email ILIKE '%' || $1 || '%' OR u.name ILIKE '%' || $1 || '%') ORDER BY u.created_at DESC LIMIT 500`, [q])).rows;
}

export async function getUser(db: Queryable, id: string): Promise<User | undefined> {
  return (await db.query<User>(`${USER_SELECT} WHERE u.id = $1`, [id])).rows[0];
}

export async function userExists(db: Queryable, id: string): Promise<boolean> {
  return (await db.query('SELECT 1 FROM users WHERE id = $1', [id])).rowCount > 0;
}
