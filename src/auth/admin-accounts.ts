import type { AdminAccount, AdminAccountCreate, AdminAccountUpdate } from '../sdk/admin-api/index.js';
import type { Queryable } from '../store/db.js';
import { isoTime, setClause } from '../store/sql.js';
import { ConflictError } from '../errors.js';
import { hashPassword } from './passwords.js';

/** Named admin accounts (the panel's team): writes and reads. Passwords never leave this module unhashed. */

const ACCOUNT_FIELDS = `id, email, name, role, disabled, ${isoTime('last_sign_in_at')} AS "lastSignInAt",
  ${isoTime('created_at')} AS "createdAt", ${isoTime('updated_at')} AS "updatedAt"`;
const ACCOUNT_SELECT = `SELECT ${ACCOUNT_FIELDS} FROM admin_accounts`;

const COLUMNS = { name: 'name', role: 'role', disabled: 'disabled', passwordHash: 'password_hash' };

export async function hasAdminAccounts(db: Queryable): Promise<boolean> {
  return (await db.query('SELECT 1 FROM admin_accounts LIMIT 1')).rowCount > 0;
}

export async function listAdminAccounts(db: Queryable): Promise<AdminAccount[]> {
  return (await db.query<AdminAccount>(`${ACCOUNT_SELECT} ORDER BY created_at`)).rows;
}

export async function getAdminAccount(db: Queryable, id: string): Promise<AdminAccount | undefined> {
  return (await db.query<AdminAccount>(`${ACCOUNT_SELECT} WHERE id = $1`, [id])).rows[0];
}

/** The account and its password hash, by email (sign-in). */
export async function findAdminForSignIn(db: Queryable, email: string): Promise<{ account: AdminAccount; passwordHash: string } | undefined> {
  const { rows } = await db.query<AdminAccount & { passwordHash: string }>(
    `SELECT ${ACCOUNT_FIELDS}, password_hash AS "passwordHash" FROM admin_accounts WHERE email = $1`,
    [email.toLowerCase()],
  );
  const row = rows[0];
  if (!row) return undefined;
  const { passwordHash, ...account } = row;
  return { account, passwordHash };
}

export async function passwordHashOf(db: Queryable, id: string): Promise<string | undefined> {
  return (await db.query<{ password_hash: string }>('SELECT password_hash FROM admin_accounts WHERE id = $1', [id])).rows[0]?.password_hash;
}

export async function createAdminAccount(db: Queryable, a: AdminAccountCreate): Promise<AdminAccount> {
  const { rows } = await db.query<{ id: string }>('INSERT INTO admin_accounts (email, name, role, password_hash) VALUES ($1, $2, $3, $4) RETURNING id', [
    a.email.toLowerCase(),
    a.name ?? '',
    a.role,
    await hashPassword(a.password),
  ]);
  return (await getAdminAccount(db, rows[0]!.id))!;
}

/**
 * Locks the active owners (row locks, in id order) and refuses a change that would leave none:
 * the team must keep someone who can manage it. Call inside the transaction that makes the change.
 */
async function keepAnOwner(db: Queryable, id: string, stillOwner: boolean): Promise<void> {
  const { rows } = await db.query<{ id: string }>("SELECT id FROM admin_accounts WHERE role = 'owner' AND NOT disabled ORDER BY id FOR UPDATE");
  if (!stillOwner && rows.length === 1 && rows[0]!.id === id) {
    throw new ConflictError('This is the last active owner; make another account owner first.', 'last_owner', 'role');
  }
}

/** Changes the fields present; a new password or disabling signs the account out everywhere. Undefined if there is no such account. */
export async function updateAdminAccount(db: Queryable, id: string, patch: AdminAccountUpdate): Promise<AdminAccount | undefined> {
  const current = await getAdminAccount(db, id);
  if (!current) return undefined;
  const role = patch.role ?? current.role;
  const disabled = patch.disabled ?? current.disabled;
  if (current.role === 'owner' && !current.disabled) await keepAnOwner(db, id, role === 'owner' && !disabled);
  const { password, ...fields } = patch;
  const set = setClause({ ...fields, passwordHash: password !== undefined ? await hashPassword(password) : undefined }, COLUMNS, 2);
  await db.query(`UPDATE admin_accounts SET ${set.sql}, updated_at = now() WHERE id = $1`, [id, ...set.values]);
  if (password !== undefined || patch.disabled === true) await db.query('DELETE FROM admin_sessions WHERE account_id = $1', [id]);
  return getAdminAccount(db, id);
}

/** Deletes an account (its sessions go with it); the audit log keeps its email. */
export async function deleteAdminAccount(db: Queryable, id: string): Promise<AdminAccount | undefined> {
  const current = await getAdminAccount(db, id);
  if (!current) return undefined;
  if (current.role === 'owner' && !current.disabled) await keepAnOwner(db, id, false);
  await db.query('DELETE FROM admin_accounts WHERE id = $1', [id]);
  return current;
}

export async function setPasswordHash(db: Queryable, id: string, passwordHash: string): Promise<void> {
  await db.query('UPDATE admin_accounts SET password_hash = $2, updated_at = now() WHERE id = $1', [id, passwordHash]);
}
