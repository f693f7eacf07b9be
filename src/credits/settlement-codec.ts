import { micros } from './money.js';
import type { RequestRow } from './request-row.js';
import type { LeasedSettlement } from './settlements.js';

/**
 * A settlement as the Redis stream carries it: a JSON array by position (version 2), about a
 * third of the size of the object form and quicker to write and to seal. Entries appended by an
 * earlier version (a JSON object) are still read, so a rolling upgrade loses nothing.
 */
const VERSION = 2;

export function encodeSettlement(s: LeasedSettlement): string {
  const r = s.row;
  return JSON.stringify([
    VERSION, s.requestId, s.accountId, s.cost.toString(), s.hold === undefined ? null : s.hold.toString(), s.lease, s.idempotency ?? null,
    r.user_id, r.api_key_id, r.endpoint, r.model_alias, r.served_model, r.provider_id, r.upstream_model, r.stream, r.status, r.error_code,
    r.prompt_tokens, r.completion_tokens, r.cached_tokens, r.cache_write_tokens, r.reasoning_tokens, r.usage_estimated, r.price_id,
    r.cache_hit, r.latency_ms, r.upstream_latency_ms, r.attempts, r.tags, r.instance_id, r.started_at, r.finished_at, r.idempotency_key,
    r.max_tokens_clamped,
  ]);
}

export function decodeSettlement(text: string): LeasedSettlement {
  const v = JSON.parse(text) as unknown;
  if (!Array.isArray(v)) return decodeObject(v as ObjectForm);
  if (v[0] !== VERSION) throw new Error(`unknown settlement entry version ${String(v[0])}`);
  const [, requestId, accountId, cost, hold, lease, idempotency, user_id, api_key_id, endpoint, model_alias, served_model, provider_id, upstream_model, stream, status, error_code,
    prompt_tokens, completion_tokens, cached_tokens, cache_write_tokens, reasoning_tokens, usage_estimated, price_id, cache_hit, latency_ms, upstream_latency_ms, attempts,
    tags, instance_id, started_at, finished_at, idempotency_key, max_tokens_clamped] = v;
  const row: RequestRow = {
    id: requestId, account_id: accountId, user_id, api_key_id, endpoint, model_alias, served_model, provider_id, upstream_model, stream, status, error_code,
    prompt_tokens, completion_tokens, cached_tokens, cache_write_tokens, reasoning_tokens, usage_estimated, cost: 0, price_id, cache_hit, latency_ms,
    upstream_latency_ms, attempts, tags, instance_id, started_at, finished_at, hold_amount: 0, uncollected: 0, idempotency_key, max_tokens_clamped,
  };
  return { requestId, accountId, cost: micros(cost), hold: hold === null ? undefined : micros(hold), lease, row, ...(idempotency ? { idempotency } : {}) };
}

type ObjectForm = Omit<LeasedSettlement, 'cost' | 'hold'> & { cost: string; hold?: string };

/** Version 1: the settlement object itself, its amounts as decimal strings. */
function decodeObject(o: ObjectForm): LeasedSettlement {
  return { ...o, cost: micros(o.cost), hold: o.hold === undefined ? undefined : micros(o.hold) };
}
