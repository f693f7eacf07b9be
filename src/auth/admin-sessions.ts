import { randomBytes } from 'node:crypto';
import type { AdminAccount } from '../sdk/admin-api/index.js';
import type { Queryable } from '../store/db.js';
import { sha256 } from '../store/secrets.js';
import { isoTime } from '../store/sql.js';

/**
 * Admin sessions and sign-in throttling, both in Postgres: every instance sees the same sessions
 * and the same failed attempts, embedded or not, and sign-in is rare enough that a round trip is
 * nothing. A session id is 256 random bits; only its SHA-256 is stored.
 */

export interface NewSession {
  /** The cookie value: the only copy of the id. */
  id: string;
  expiresAt: string;
}

export async function createSession(db: Queryable, accountId: string, ttlMs: number, client: { ip: string; userAgent: string }): Promise<NewSession> {
  const id = randomBytes(32).toString('base64url');
  const { rows } = await db.query<{ expiresAt: string }>(
    `INSERT INTO admin_sessions (id_hash, account_id, expires_at, ip, user_agent) VALUES ($1, $2, now() + $3 * interval '1 millisecond', $4, $5)
     RETURNING ${isoTime('expires_at')} AS "expiresAt"`,
    [sha256(id), accountId, ttlMs, client.ip, client.userAgent.slice(0, 300)],
  );
  // Expired sessions are dead already (never accepted); this only keeps the table small.
  await db.query("DELETE FROM admin_sessions WHERE expires_at < now() - interval '1 day'");
  return { id, expiresAt: rows[0]!.expiresAt };
}

/** The live session's account, or undefined when the id is unknown, expired, or its account is disabled. */
export async function sessionAccount(db: Queryable, id: string): Promise<{ account: AdminAccount; expiresAt: string } | undefined> {
  const { rows } = await db.query<AdminAccount & { expiresAt: string }>(
    `SELECT a.id, a.email, a.name, a.role, a.disabled, ${isoTime('a.last_sign_in_at')} AS "lastSignInAt", ${isoTime('a.created_at')} AS "createdAt",
            ${isoTime('a.updated_at')} AS "updatedAt", ${isoTime('s.expires_at')} AS "expiresAt"
       FROM admin_sessions s JOIN admin_accounts a ON a.id = s.account_id
      WHERE s.id_hash = $1 AND s.expires_at > now() AND NOT a.disabled`,
    [sha256(id)],
  );
  const row = rows[0];
  if (!row) return undefined;
  const { expiresAt, ...account } = row;
  return { account, expiresAt };
}

export async function deleteSession(db: Queryable, id: string): Promise<void> {
  await db.query('DELETE FROM admin_sessions WHERE id_hash = $1', [sha256(id)]);
}

/** Signs an account out everywhere but the given session (after a password change). */
export async function deleteOtherSessions(db: Queryable, accountId: string, keepId: string | undefined): Promise<void> {
  await db.query('DELETE FROM admin_sessions WHERE account_id = $1 AND ($2::bytea IS NULL OR id_hash <> $2)', [accountId, keepId ? sha256(keepId) : null]);
}

export interface SignInLimits {
  windowMs: number;
  /** Attempts per email (any source) in the window. */
  perEmail: number;
  /** Attempts per client address (any email) in the window. */
  perIp: number;
}

/**
 * Counts this attempt (written first, so parallel guesses each see the others) and answers whether
 * it is within the limits; when it is not, how long until the oldest attempt in the window expires.
 */
export async function admitSignIn(db: Queryable, email: string, ip: string, limits: SignInLimits): Promise<{ ok: true } | { ok: false; retryAfterMs: number }> {
  // Attempts older than any window are no longer counted; dropping them keeps a guessing spree from growing the table.
  await db.query("DELETE FROM admin_sign_in_attempts WHERE at < now() - interval '1 day'");
  await db.query('INSERT INTO admin_sign_in_attempts (email, ip) VALUES ($1, $2)', [email, ip]);
  const { rows } = await db.query<{ by_email: number; by_ip: number; email_wait: number | null; ip_wait: number | null }>(
    `WITH w AS (SELECT email, ip, at FROM admin_sign_in_attempts WHERE (email = $1 OR ip = $2) AND at > now() - $3 * interval '1 millisecond')
     SELECT count(*) FILTER (WHERE email = $1)::int AS by_email, count(*) FILTER (WHERE ip = $2)::int AS by_ip,
            (SELECT extract(epoch FROM (at + $3 * interval '1 millisecond' - now())) * 1000 FROM w WHERE email = $1 ORDER BY at DESC OFFSET $4 - 1 LIMIT 1)::float8 AS email_wait,
            (SELECT extract(epoch FROM (at + $3 * interval '1 millisecond' - now())) * 1000 FROM w WHERE ip = $2 ORDER BY at DESC OFFSET $5 - 1 LIMIT 1)::float8 AS ip_wait
       FROM w`,
    [email, ip, limits.windowMs, limits.perEmail, limits.perIp],
  );
  const r = rows[0]!;
  if (r.by_email <= limits.perEmail && r.by_ip <= limits.perIp) return { ok: true };
  const wait = Math.max(r.by_email > limits.perEmail ? (r.email_wait ?? 0) : 0, r.by_ip > limits.perIp ? (r.ip_wait ?? 0) : 0);
  return { ok: false, retryAfterMs: Math.max(1000, Math.ceil(wait)) };
}

/** A correct password clears its email's attempts (not the address's: one account's success should not unlock guessing at others). */
export async function signInSucceeded(db: Queryable, accountId: string, email: string): Promise<void> {
  await db.query('DELETE FROM admin_sign_in_attempts WHERE email = $1', [email]);
  await db.query('UPDATE admin_accounts SET last_sign_in_at = now() WHERE id = $1', [accountId]);
}
