import type { Queryable } from '../store/db.js';
import type { SharedStore } from '../store/shared.js';
import { AuthenticationError, PermissionError } from '../errors.js';
import { apiKeyId } from './api-keys.js';
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
  expires_ms: number | null;
  allowed_models: string[] | null;
  budgeted: boolean;
}

/**
 * A cached outcome of a key lookup: the principal (and when the key expires, if it does), or
 * why the key is refused.
 */
export type KeyVerdict = { ok: true; principal: Principal; expiresAtMs?: number } | { ok: false; reason: 'unknown' | 'revoked' | 'expired' | 'disabled' };

const EXPIRED: KeyVerdict = { ok: false, reason: 'expired' };

export const KEY_LOOKUP_SQL = `
  SELECT k.id::text AS key_id, k.prefix, (k.revoked_at IS NOT NULL) AS revoked,
         (k.expires_at IS NOT NULL AND k.expires_at <= now()) AS expired,
         (extract(epoch FROM k.expires_at) * 1000)::float8 AS expires_ms,
         u.id::text AS user_id, u.email, u.disabled, u.account_id::text AS account_id, u.plan_id, k.allowed_models,
         EXISTS (SELECT 1 FROM budgets b WHERE b.api_key_id = k.id OR b.user_id = u.id) AS budgeted
    FROM api_keys k JOIN users u ON u.id = k.user_id
   WHERE k.key_hash = $1`;

export async function lookupKey(db: Queryable, hash: Buffer): Promise<KeyVerdict> {
  const { rows } = await db.query<KeyRow>(KEY_LOOKUP_SQL, [hash]);
  const r = rows[0];
  if (!r) return { ok: false, reason: 'unknown' };
  if (r.revoked) return { ok: false, reason: 'revoked' };
  if (r.expired) return EXPIRED;
  if (r.disabled) return { ok: false, reason: 'disabled' };
  return {
    ok: true,
    principal: {
      keyId: r.key_id,
      keyPrefix: r.prefix,
      userId: r.user_id,
      userEmail: r.email,
      accountId: r.account_id,
      planId: r.plan_id,
      ...(r.budgeted ? { budgeted: true as const } : {}),
      ...(r.allowed_models ? { allowedModels: r.allowed_models } : {}),
    },
    ...(r.expires_ms !== null ? { expiresAtMs: r.expires_ms } : {}),
  };
}

function stillValid(v: KeyVerdict, now: number): KeyVerdict {
  return v.ok && v.expiresAtMs !== undefined && v.expiresAtMs <= now ? EXPIRED : v;
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
 * API key → principal, from process memory, then the shared store (Redis), then Postgres.
 * Verdicts are evicted by change events (a key revoked, a user disabled) from the config sync;
 * the memory TTL only bounds how long a missed event could go unnoticed between version checks.
 * Redis entries carry the keys version in their name, so a version bump retires them all, and
 * are sealed by the deployment's signer (see SignedStore), so Redis can hold them but not forge them.
 */
export class Authenticator implements KeyVerdictSource {
  private readonly cache = new Map<string, { verdict: KeyVerdict; expiresAt: number }>();
  /** The keys version this instance knows of (from the config sync). */
  keysVersion = 0;
  private sharedDown = 0;
  /** Counts evictions, so a lookup can tell that one happened while it waited. */
  private generation = 0;

  constructor(
    private readonly db: Queryable,
    private readonly shared: SharedStore | undefined,
    private readonly opts: { ttlMs: number; negativeTtlMs: number; sharedTtlSeconds: number; maxEntries: number } = {
      ttlMs: 300_000,
      negativeTtlMs: 10_000,
      sharedTtlSeconds: 600,
      maxEntries: 100_000,
    },
  ) {}

  async authenticate(secret: string | undefined): Promise<Principal> {
    if (!secret) throw new AuthenticationError('Missing API key. Pass it as "Authorization: Bearer <key>".', 'missing_api_key');
    const v = await this.verdictById(apiKeyId(secret));
    if (!v.ok) throw verdictToError(v);
    return v.principal;
  }

  verdict(hash: Buffer): Promise<KeyVerdict> {
    return this.verdictById(hash.toString('base64url'));
  }

  /** `id`: the key's SHA-256 in base64url, as the caches name it. */
  private async verdictById(id: string): Promise<KeyVerdict> {
    const now = Date.now();
    const hit = this.cache.get(id);
    // A key's own expiry needs no change event: every cached verdict is checked against it.
    if (hit && hit.expiresAt > now) return stillValid(hit.verdict, now);
    // A change event that arrives while we look may make what we find stale: it then answers
    // this request but is cached nowhere.
    const generation = this.generation;
    const name = this.sharedKey(id);
    let verdict = await this.fromShared(name);
    if (!verdict) {
      verdict = await lookupKey(this.db, Buffer.from(id, 'base64url'));
      if (generation === this.generation) void this.toShared(name, verdict);
    }
    verdict = stillValid(verdict, now);
    if (generation !== this.generation) return verdict;
    if (this.cache.size >= this.opts.maxEntries) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(id, { verdict, expiresAt: now + (verdict.ok ? this.opts.ttlMs : this.opts.negativeTtlMs) });
    return verdict;
  }

  private sharedKey(id: string): string {
    return `key:${this.keysVersion}:${id}`;
  }

  /**
   * Redis trouble never fails a request: the lookup falls through to Postgres (at once: the
   * Redis client queues nothing while disconnected). The shared store is a SignedStore, so a
   * verdict nobody in this deployment wrote reads as absent.
   */
  private async fromShared(name: string): Promise<KeyVerdict | undefined> {
    if (!this.shared || this.shared.kind !== 'redis' || Date.now() < this.sharedDown) return undefined;
    try {
      const text = await this.shared.get(name);
      return text ? (JSON.parse(text) as KeyVerdict) : undefined;
    } catch {
      this.sharedDown = Date.now() + 2_000;
      return undefined;
    }
  }

  private async toShared(name: string, verdict: KeyVerdict): Promise<void> {
    if (!this.shared || this.shared.kind !== 'redis' || Date.now() < this.sharedDown) return;
    try {
      await this.shared.set(name, JSON.stringify(verdict), verdict.ok ? this.opts.sharedTtlSeconds : 10);
    } catch {
      this.sharedDown = Date.now() + 2_000;
    }
  }

  /** A key changed (revoked, expired): forget it. `hashHex` is the hex of its SHA-256. */
  evictHash(hashHex: string): void {
    this.generation++;
    this.cache.delete(Buffer.from(hashHex, 'hex').toString('base64url'));
  }

  /** A user changed (disabled, new plan): forget all their keys. */
  evictUser(userId: string): void {
    this.generation++;
    for (const [id, e] of this.cache) if (e.verdict.ok && e.verdict.principal.userId === userId) this.cache.delete(id);
  }

  /** Forget every cached verdict (a missed change, or a local admin write). */
  invalidateAll(): void {
    this.generation++;
    this.cache.clear();
  }

  /**
   * A key or user was just changed through this instance: forget every verdict here, and take the
   * keys version the change produced at once, so verdicts shared in Redis under the old version
   * are not read back before the change event arrives (a revoked key would answer once more).
   */
  async changedHere(): Promise<void> {
    const { rows } = await this.db.query<{ version: string }>("SELECT version::text FROM config_versions WHERE name = 'keys'");
    const version = Number(rows[0]?.version ?? 0);
    this.invalidateAll();
    if (version > this.keysVersion) this.keysVersion = version;
  }
}
