import type { ApiKey, CreatedApiKey } from '../sdk/admin-api/index.js';
import type { Queryable } from '../store/db.js';
import { isoTime } from '../store/sql.js';
import { generateApiKey } from './api-keys.js';

/** API keys in Postgres: creation (the secret exists only in the returned value), revocation and the admin API's listings. */

const KEY_COLUMNS = `k.id, k.user_id AS "userId", k.prefix, k.name, ${isoTime('k.revoked_at')} AS "revokedAt", ${isoTime('k.expires_at')} AS "expiresAt",
  ${isoTime('k.created_at')} AS "createdAt"`;

/** Which keys each `status` filter selects (fixed SQL, chosen by name). */
export const KEY_STATUS_FILTER = {
  active: 'k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now())',
  revoked: 'k.revoked_at IS NOT NULL',
  expired: 'k.revoked_at IS NULL AND k.expires_at <= now()',
  all: 'true',
} as const;
export type KeyStatus = keyof typeof KEY_STATUS_FILTER;

export async function insertApiKey(db: Queryable, userId: string, name: string, expiresAt: string | null): Promise<CreatedApiKey> {
  const k = generateApiKey();
  const { rows } = await db.query<{ id: string; createdAt: string }>(
    `INSERT INTO api_keys (user_id, key_hash, prefix, name, expires_at) VALUES ($1, $2, $3, $4, $5) RETURNING id, ${isoTime('created_at')} AS "createdAt"`,
    [userId, k.hash, k.prefix, name, expiresAt],
  );
  return { id: rows[0]!.id, key: k.secret, prefix: k.prefix, name, createdAt: rows[0]!.createdAt };
}

/** Revokes a key (kept for the record); false if there is no such key. Revoking twice keeps the first time. */
export async function revokeApiKey(db: Queryable, id: string): Promise<boolean> {
  return (await db.query('UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1', [id])).rowCount > 0;
}

export async function getApiKey(db: Queryable, id: string): Promise<ApiKey | undefined> {
  return (await db.query<ApiKey>(`SELECT ${KEY_COLUMNS} FROM api_keys k WHERE k.id = $1`, [id])).rows[0];
}

/** A user's keys, newest first. */
export async function listUserApiKeys(db: Queryable, userId: string): Promise<ApiKey[]> {
  return (await db.query<ApiKey>(`SELECT ${KEY_COLUMNS} FROM api_keys k WHERE k.user_id = $1 ORDER BY k.created_at DESC`, [userId])).rows;
}

/** Every user's keys with their owner, newest first; `q` matches the prefix, the key name or the owner's email. */
export async function searchApiKeys(db: Queryable, query: { q: string; status: KeyStatus; limit: number }): Promise<ApiKey[]> {
  const { rows } = await db.query<ApiKey>(
    `SELECT ${KEY_COLUMNS}, u.email AS "userEmail", u.account_id AS "accountId"
       FROM api_keys k JOIN users u ON u.id = k.user_id
      WHERE ${KEY_STATUS_FILTER[query.status]}
        AND ($1 = '' OR k.prefix ILIKE $1 || '%' OR k.name ILIKE '%' || $1 || '%' OR u.email ILIKE '%' || $1 || '%')
      ORDER BY k.created_at DESC LIMIT $2`,
    [query.q, query.limit],
  );
  return rows;
}
