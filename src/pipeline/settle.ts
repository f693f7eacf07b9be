import type { Gateway } from '../gateway.js';
import type { Micros } from '../credits/money.js';
import type { RequestRow } from '../credits/request-row.js';
import type { IdempotencyOutcome, Settlement } from '../credits/service.js';
import type { RequestContext } from './context.js';
import { finishAdmissions } from './limits.js';

/**
 * The settle step, and the only place a request is settled: charges `cost` out of the lease its
 * hold came from, gives the rest of the hold back to the lease, and writes the ledger entry, the
 * request row and the Idempotency-Key outcome (one transaction), exactly once per request — served, failed, cut or disconnected alike.
 * Requests without an account (failed authentication) are not recorded.
 */
export async function settle(gw: Gateway, ctx: RequestContext, cost: Micros, idempotency?: IdempotencyOutcome): Promise<Settlement | undefined> {
  if (ctx.settled || !ctx.principal) return undefined;
  ctx.settled = true;
  try {
    const settlement = await ctx.span.child('tollgate.credits.settle').over(gw.credits.settle({ requestId: ctx.id, accountId: ctx.principal.accountId, cost, row: requestRow(ctx, gw.instanceId), idempotency, hold: ctx.hold?.amount, budget: ctx.budget ? true : undefined }));
    ctx.charged = settlement.charged;
    return settlement;
  } finally {
    if (ctx.hold) gw.lifecycle.unsettled--;
    if (ctx.budget) gw.credits.budgets.settled(ctx.id);
    // Real usage is known now: correct token budgets, release concurrency leases.
    finishAdmissions(ctx);
  }
}

/** Error messages are kept to this many characters in the request log. */
const MAX_ERROR_MESSAGE = 1_000;

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
    // A request that failed upstream counts against the provider it last tried.
    provider_id: ctx.served?.provider.id ?? ctx.cachedFrom?.provider ?? ctx.attempts.at(-1)?.provider ?? null,
    upstream_model: ctx.served?.model.upstreamModel ?? ctx.cachedFrom?.upstreamModel ?? null,
    stream: ctx.stream,
    status: ctx.status,
    error_code: ctx.errorCode ?? null,
    error_message: ctx.errorMessage?.slice(0, MAX_ERROR_MESSAGE) ?? null,
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
