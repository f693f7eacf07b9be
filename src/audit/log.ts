import type { AuditEntry, AuditPage } from '../sdk/admin-api/index.js';
import type { Queryable } from '../store/db.js';
import { isoTime } from '../store/sql.js';

/**
 * The audit log of admin changes: who (an admin account or the admin token), when, what action on
 * which target, and the target before → after. Append-only; secrets never enter it (`maskSecrets`).
 * Write it with `recordAudit` on the transaction that makes the change, so the change and its
 * record commit together or not at all.
 */

export interface AuditActor {
  kind: 'account' | 'token';
  /** The admin account's id; null for the token. */
  id: string | null;
  /** The account's email, or "admin token". */
  label: string;
}

export interface AuditChange {
  /** "<target type>.<verb>": "model.update", "credits.grant", "api_key.revoke". */
  action: string;
  target: { type: string; id: string | null };
  /** The target before the change; omit (or null) when it did not exist. */
  before?: unknown;
  /** The target after the change; omit (or null) when it no longer exists. */
  after?: unknown;
}

/** Field names whose values are secrets: never stored, only masked. */
const SECRET_FIELD = /^(secret|password|passwordhash|password_hash|token|apikey|api_key|key|authorization|currentpassword|newpassword)$/i;
const NEVER_SHOWN = /password/i;

/** "••••abcd" for a long secret (its last four, as the panel already shows for provider keys), "••••" otherwise. */
export function maskSecret(fieldName: string, value: string): string {
  return !NEVER_SHOWN.test(fieldName) && value.length >= 16 ? `••••${value.slice(-4)}` : '••••';
}

/** A deep copy with every secret-named string field masked (and Dates/bigints as JSON would have them). */
export function maskSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskSecrets);
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return value.toISOString();
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined) continue;
    out[k] = SECRET_FIELD.test(k) && typeof v === 'string' ? maskSecret(k, v) : maskSecrets(v);
  }
  return out;
}

const json = (v: unknown) => (v === undefined || v === null ? null : JSON.stringify(maskSecrets(v)));

/** Appends one record. Pass the transaction that makes the change. */
export async function recordAudit(db: Queryable, actor: AuditActor, change: AuditChange): Promise<void> {
  await db.query(
    `INSERT INTO audit_log (actor_kind, actor_id, actor_label, action, target_type, target_id, before, after)
     VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb)`,
    [actor.kind, actor.id, actor.label, change.action, change.target.type, change.target.id, json(change.before), json(change.after)],
  );
}

export interface AuditFilter {
  actor: string | undefined;
  action: string | undefined;
  targetType: string | undefined;
  targetId: string | undefined;
  from: string | undefined;
  to: string | undefined;
  before: string | undefined;
  limit: number;
}

/** One page, newest first; `before` is the previous page's `nextBefore`. An action ending in "." matches by prefix. */
export async function auditPage(db: Queryable, f: AuditFilter): Promise<AuditPage> {
  const action = f.action?.endsWith('.') ? { prefix: f.action, exact: null } : { prefix: null, exact: f.action ?? null };
  const { rows } = await db.query<AuditEntry>(
    `SELECT id::text AS id, ${isoTime('at')} AS at, actor_kind AS "actorKind", actor_id::text AS "actorId", actor_label AS actor, action,
            target_type AS "targetType", target_id AS "targetId", before, after
       FROM audit_log
      WHERE ($1::text IS NULL OR actor_label ILIKE '%' || $1 || '%')
        AND ($2::text IS NULL OR action = $2) AND ($3::text IS NULL OR starts_with(action, $3))
        AND ($4::text IS NULL OR target_type = $4) AND ($5::text IS NULL OR target_id = $5)
        AND ($6::timestamptz IS NULL OR at >= $6) AND ($7::timestamptz IS NULL OR at < $7)
        AND ($8::bigint IS NULL OR id < $8)
      ORDER BY audit_log.id DESC LIMIT $9`,
    [f.actor ?? null, action.exact, action.prefix, f.targetType ?? null, f.targetId ?? null, f.from ?? null, f.to ?? null, f.before ?? null, f.limit],
  );
  return { data: rows, nextBefore: rows.length === f.limit ? rows.at(-1)!.id : null };
}
