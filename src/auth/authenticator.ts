import type { Queryable } from '../store/db.js';
import { AuthenticationError, PermissionError } from '../http/errors.js';
import { hashApiKey } from './api-keys.js';
import type { Principal } from './principal.js';

interface KeyRow {
  key_id: string;
  prefix: string;
  revoked: boolean;
  expired: boolean;
  user_id: string;
  email: string;
  disabled: boolean;
  account_id: string;
  plan_id: string;
}

/** A cached outcome of a key lookup: the principal, or why the key is refused. */
export type KeyVerdict = { ok: true; principal: Principal } | { ok: false; reason: 'unknown' | 'revoked' | 'expired' | 'disabled' };

export const KEY_LOOKUP_SQL = `
  SELECT k.id::text AS key_id, k.prefix, (k.revoked_at IS NOT NULL) AS revoked,
         (k.expires_at IS NOT NULL AND k.expires_at <= now()) AS expired,
         u.id::text AS user_id, u.email, u.disabled, u.account_id::text AS account_id, u.plan_id
    FROM api_keys k JOIN users u ON u.id = k.user_id
   WHERE k.key_hash = $1`;

export async function lookupKey(db: Queryable, hash: Buffer): Promise<KeyVerdict> {
  const { rows } = await db.query<KeyRow>(KEY_LOOKUP_SQL, [hash]);
  const r = rows[0];
  if (!r) return { ok: false, reason: 'unknown' };
  if (r.revoked) return { ok: false, reason: 'revoked' };
  if (r.expired) return { ok: false, reason: 'expired' };
  if (r.disabled) return { ok: false, reason: 'disabled' };
  return {
    ok: true,
    principal: { keyId: r.key_id, keyPrefix: r.prefix, userId: r.user_id, userEmail: r.email, accountId: r.account_id, planId: r.plan_id },
  };
}

export function verdictToError(v: Exclude<KeyVerdict, { ok: true }>): Error {
  switch (v.reason) {
    case 'unknown':
      return new AuthenticationError('Incorrect API key provided.');
    case 'revoked':
      return new AuthenticationError('This API key has been revoked.', 'api_key_revoked');
    case 'expired':
      return new AuthenticationError('This API key has expired.', 'api_key_expired');
    case 'disabled':
      return new PermissionError('The user that owns this API key is disabled.', 'user_disabled');
  }
}

/** Where verdicts are cached; the Redis-backed cache (issue: config cache) implements the same. */
export interface KeyVerdictSource {
  verdict(hash: Buffer): Promise<KeyVerdict>;
}

/**
 * API key → principal. Verdicts are kept in process memory (bounded, with a TTL), so a steady
 * stream of requests with the same key touches the database once per TTL at most.
 */
export class Authenticator implements KeyVerdictSource {
  private readonly cache = new Map<string, { verdict: KeyVerdict; expiresAt: number }>();

  constructor(
    private readonly db: Queryable,
    private readonly opts: { ttlMs: number; maxEntries: number } = { ttlMs: 30_000, maxEntries: 100_000 },
  ) {}

  async authenticate(secret: string | undefined): Promise<Principal> {
    if (!secret) throw new AuthenticationError('Missing API key. Pass it as "Authorization: Bearer <key>".', 'missing_api_key');
    const v = await this.verdict(hashApiKey(secret));
    if (!v.ok) throw verdictToError(v);
    return v.principal;
  }

  async verdict(hash: Buffer): Promise<KeyVerdict> {
    const id = hash.toString('base64');
    const now = Date.now();
    const hit = this.cache.get(id);
    if (hit && hit.expiresAt > now) return hit.verdict;
    const verdict = await lookupKey(this.db, hash);
    if (this.cache.size >= this.opts.maxEntries) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(id, { verdict, expiresAt: now + this.opts.ttlMs });
    return verdict;
  }

  /** Forget every cached verdict (after a key or user changes). */
  invalidateAll(): void {
    this.cache.clear();
  }
}
