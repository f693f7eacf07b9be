import { micros } from './money.js';
import type { RequestRow } from './request-row.js';
import type { LeasedSettlement } from './settlements.js';

/**
 * A settlement as the Redis stream carries it: a JSON array by position (version 2), about a
 * third of the size of the object form and quicker to write and to seal. Entries appended by an
 * earlier version (a JSON object) are still read, so a rolling upgrade loses nothing. A new
 * request-row column is added at the end (an entry written before it existed reads it as null);
 * any other change of layout takes a new version number.
 */
const VERSION = 2;

/** The request row's columns the entry carries, in order (id, account and amounts come from the settlement). */
const ROW_FIELDS = [
  'user_id', 'api_key_id', 'endpoint', 'model_alias', 'served_model', 'provider_id', 'upstream_model', 'stream', 'status', 'error_code',
  'prompt_tokens', 'completion_tokens', 'cached_tokens', 'cache_write_tokens', 'reasoning_tokens', 'usage_estimated', 'price_id',
  'cache_hit', 'latency_ms', 'upstream_latency_ms', 'attempts', 'tags', 'instance_id', 'started_at', 'finished_at', 'idempotency_key',
  'max_tokens_clamped', 'error_message',
] as const satisfies readonly (keyof RequestRow)[];

/** Filled in from the settlement or by the database, so not carried. */
type Derived = 'id' | 'account_id' | 'cost' | 'hold_amount' | 'uncollected';
// A column added to RequestRow but not to ROW_FIELDS fails to compile here, instead of vanishing from settlements on their way through Redis.
const everyColumn: Exclude<keyof RequestRow, (typeof ROW_FIELDS)[number] | Derived> extends never ? true : never = true;
// The same for the settlement's own fields, which the head of the entry carries.
const everyField: Exclude<keyof LeasedSettlement, 'requestId' | 'accountId' | 'cost' | 'hold' | 'lease' | 'idempotency' | 'budget' | 'row'> extends never ? true : never = true;
void everyColumn;
void everyField;

const HEAD = 8;

export function encodeSettlement(s: LeasedSettlement): string {
  const r = s.row as unknown as Record<string, unknown>;
  const out: unknown[] = [VERSION, s.requestId, s.accountId, s.cost.toString(), s.hold === undefined ? null : s.hold.toString(), s.lease, s.idempotency ?? null, s.budget ? 1 : 0];
  for (const k of ROW_FIELDS) out.push(r[k] ?? null);
  return JSON.stringify(out);
}

export function decodeSettlement(text: string): LeasedSettlement {
  const v = JSON.parse(text) as unknown;
  if (!Array.isArray(v)) return decodeObject(v as ObjectForm);
  if (v[0] !== VERSION) throw new Error(`unknown settlement entry version ${String(v[0])}`);
  const [, requestId, accountId, cost, hold, lease, idempotency, budget] = v as [number, string, string, string, string | null, string | null, LeasedSettlement['idempotency'] | null, number];
  const row: Record<string, unknown> = { id: requestId, account_id: accountId, cost: 0, hold_amount: 0, uncollected: 0 };
  ROW_FIELDS.forEach((k, i) => (row[k] = v[HEAD + i] ?? null));
  return { requestId, accountId, cost: micros(cost), hold: hold === null ? undefined : micros(hold), lease, row: row as unknown as RequestRow, ...(idempotency ? { idempotency } : {}), ...(budget ? { budget: true } : {}) };
}

type ObjectForm = Omit<LeasedSettlement, 'cost' | 'hold'> & { cost: string; hold?: string };

/** Version 1: the settlement object itself, its amounts as decimal strings. */
function decodeObject(o: ObjectForm): LeasedSettlement {
  return { ...o, cost: micros(o.cost), hold: o.hold === undefined ? undefined : micros(o.hold) };
}
