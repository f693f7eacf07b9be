/**
 * What the gateway's own /v1 routes return to an API key holder, field for field as on the wire
 * (snake_case, like the OpenAI API). Credit amounts are exact decimal strings with six places;
 * `*_microcredits` fields are whole microcredits as strings (see toMicrocredits / formatCredits).
 */

export type Tags = Record<string, string>;

/** GET /v1/credits */
export interface Credits {
  object: 'credits';
  account_id: string;
  account_name: string;
  balance: string;
  /**
   * Reserved by requests in flight (those on other gateway instances are inside those instances'
   * credit leases, which stay available to the account: they are handed back on demand).
   */
  held: string;
  /** balance − held: what new requests can spend. */
  available: string;
  balance_microcredits: string;
  held_microcredits: string;
  /** Model aliases this key may call; null: every model. */
  allowed_models: string[] | null;
  /** The spend caps of the key and of its user (both apply), with their current period's usage. */
  budgets: Budget[];
}

/** A spend cap (GET /v1/credits): periods are the UTC day, the UTC calendar month, or lifetime. */
export interface Budget {
  scope: 'key' | 'user';
  period: 'day' | 'month' | 'lifetime';
  limit: string;
  spent: string;
  /** Reserved by requests in flight. */
  reserved: string;
  /** limit − spent − reserved, never below zero. */
  remaining: string;
  limit_microcredits: string;
  spent_microcredits: string;
  reserved_microcredits: string;
  /** YYYY-MM-DD (UTC); 1970-01-01 for lifetime. */
  period_start: string;
  /** When the cap starts afresh; null for lifetime. */
  resets_at: string | null;
}

export interface UsageQuery {
  /** Start of the period (default: 30 days ago). */
  from?: Date | string;
  /** End of the period, exclusive (default: now). */
  to?: Date | string;
  /** How many recent requests to list (1–1000, default 50). */
  limit?: number;
  /** "user" (default): the key's user; "account": everyone on the account. */
  scope?: 'user' | 'account';
  /** Only requests carrying every one of these tags. */
  tags?: Tags;
}

export interface UsageTotals {
  requests: number;
  errors: number;
  cache_hits: number;
  prompt_tokens: number;
  completion_tokens: number;
  cost: string;
}

export interface UsageByModel {
  model: string;
  requests: number;
  prompt_tokens: number;
  completion_tokens: number;
  cost: string;
}

export interface UsageRequest {
  id: string;
  model: string | null;
  served_model: string | null;
  provider: string | null;
  status: number;
  error_code: string | null;
  stream: boolean;
  prompt_tokens: number;
  completion_tokens: number;
  cached_tokens: number;
  usage_estimated: boolean;
  cost: string;
  cost_microcredits: string;
  cache_hit: boolean;
  latency_ms: number;
  tags: Tags | null;
  started_at: string;
}

/** GET /v1/usage (and GET /admin/api/usage) */
export interface Usage {
  object: 'usage';
  from: string;
  to: string;
  totals: UsageTotals;
  by_model: UsageByModel[];
  requests: UsageRequest[];
}

/** GET /v1/requests/{id} */
export interface RequestRecord extends UsageRequest {
  object: 'request';
  endpoint: string;
  cache_write_tokens: number;
  reasoning_tokens: number;
  /** One entry per upstream attempt. */
  attempts: unknown[];
  finished_at: string;
}

/** "team=search,feature=auto%20complete": the x-tollgate-tags header (values URL-encoded). */
export function encodeTags(tags: Tags): string {
  return Object.entries(tags)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join(',');
}

/** { team: 'search' } → ["team:search"], the `tag` filter of the usage routes. */
export function tagFilter(tags: Tags | undefined): string[] | undefined {
  return tags && Object.keys(tags).length ? Object.entries(tags).map(([k, v]) => `${k}:${v}`) : undefined;
}
