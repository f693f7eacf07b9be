/**
 * A full `requests` row as the settlement writes it (settle_leased takes one array per column; a
 * settlement in the Redis stream carries it as JSON). cost, hold_amount and uncollected are
 * filled in by the database.
 */
export interface RequestRow {
  id: string;
  account_id: string | null;
  user_id: string | null;
  api_key_id: string | null;
  endpoint: string;
  model_alias: string | null;
  served_model: string | null;
  provider_id: string | null;
  upstream_model: string | null;
  stream: boolean;
  status: number;
  error_code: string | null;
  /** What the client was told when the request failed (absent in settlements written before it existed). */
  error_message?: string | null;
  prompt_tokens: number;
  completion_tokens: number;
  cached_tokens: number;
  cache_write_tokens: number;
  reasoning_tokens: number;
  usage_estimated: boolean;
  cost: number;
  price_id: string | null;
  cache_hit: boolean;
  latency_ms: number;
  upstream_latency_ms: number | null;
  attempts: unknown[];
  tags: Record<string, string> | null;
  instance_id: string;
  started_at: string;
  finished_at: string;
  hold_amount: number;
  uncollected: number;
  idempotency_key: string | null;
  max_tokens_clamped: number | null;
}
