import type { RequestContext } from '../http/context.js';

/**
 * A full `requests` row as settle_requests inserts it (jsonb_populate_record fills absent keys
 * with NULL, so every NOT NULL column is always present here). cost, hold_amount and
 * uncollected are filled in by the database.
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

export function requestRow(ctx: RequestContext, instanceId: string): RequestRow {
  const u = ctx.usage;
  const p = ctx.principal;
  return {
    id: ctx.id,
    account_id: p?.accountId ?? null,
    user_id: p?.userId ?? null,
    api_key_id: p?.keyId ?? null,
    endpoint: ctx.endpoint || 'unknown',
    model_alias: ctx.modelAlias ?? null,
    served_model: ctx.served?.model.alias ?? ctx.cachedFrom?.model ?? null,
    provider_id: ctx.served?.provider.id ?? ctx.cachedFrom?.provider ?? null,
    upstream_model: ctx.served?.model.upstreamModel ?? ctx.cachedFrom?.upstreamModel ?? null,
    stream: ctx.stream,
    status: ctx.status,
    error_code: ctx.errorCode ?? null,
    prompt_tokens: u?.promptTokens ?? 0,
    completion_tokens: u?.completionTokens ?? 0,
    cached_tokens: u?.cachedPromptTokens ?? 0,
    cache_write_tokens: u?.cacheWriteTokens ?? 0,
    reasoning_tokens: u?.reasoningTokens ?? 0,
    usage_estimated: u?.estimated ?? false,
    cost: 0,
    price_id: ctx.pricing?.price.id ?? null,
    cache_hit: ctx.cacheHit,
    latency_ms: Math.round(ctx.elapsedMs()),
    upstream_latency_ms: ctx.attempts.length ? Math.round(ctx.upstreamMs) : null,
    attempts: ctx.attempts,
    tags: ctx.tags ?? null,
    instance_id: instanceId,
    started_at: new Date(ctx.startedAt).toISOString(),
    finished_at: new Date().toISOString(),
    hold_amount: 0,
    uncollected: 0,
    idempotency_key: ctx.idempotency?.key ?? null,
    max_tokens_clamped: ctx.clampedMaxTokens ?? null,
  };
}
