import { formatCredits } from '../credits/money.js';
import type { Queryable } from '../store/db.js';

export interface UsageScope {
  accountId?: string;
  userId?: string;
}

export interface UsageReportQuery {
  /** ISO times: requests that started in [from, to). */
  from: string;
  to: string;
  /** How many of the most recent requests to list. */
  limit: number;
  /** Requests carrying every one of these tags. */
  tags: Record<string, string> | null;
}

/**
 * Usage over a period: totals, per model, and the most recent requests. Shared by /v1/usage
 * (scoped to the caller) and the admin API (any scope).
 */
export async function usageReport(db: Queryable, scope: UsageScope, q: UsageReportQuery) {
  const { from, to, limit, tags } = q;
  const where = `started_at >= $1 AND started_at < $2 AND ($3::uuid IS NULL OR account_id = $3) AND ($4::uuid IS NULL OR user_id = $4)
    AND ($5::jsonb IS NULL OR tags @> $5::jsonb)`;
  const params = [from, to, scope.accountId ?? null, scope.userId ?? null, tags ? JSON.stringify(tags) : null];
  const [totals, byModel, recent] = await Promise.all([
    db.query<Record<string, string>>(
      `SELECT count(*)::text AS requests, COALESCE(sum(prompt_tokens), 0)::text AS prompt_tokens,
              COALESCE(sum(completion_tokens), 0)::text AS completion_tokens, COALESCE(sum(cost), 0)::text AS cost,
              count(*) FILTER (WHERE status >= 400 OR status = 0)::text AS errors, count(*) FILTER (WHERE cache_hit)::text AS cache_hits
         FROM requests WHERE ${where}`,
      params,
    ),
    db.query<Record<string, string>>(
      `SELECT COALESCE(served_model, model_alias, 'unknown') AS model, count(*)::text AS requests,
              COALESCE(sum(prompt_tokens), 0)::text AS prompt_tokens, COALESCE(sum(completion_tokens), 0)::text AS completion_tokens,
              COALESCE(sum(cost), 0)::text AS cost
         FROM requests WHERE ${where} GROUP BY 1 ORDER BY sum(cost) DESC NULLS LAST, 1`,
      params,
    ),
    db.query<Record<string, unknown>>(
      `SELECT id, model_alias AS model, served_model, provider_id AS provider, status, error_code, stream,
              prompt_tokens, completion_tokens, cached_tokens, usage_estimated, cost::text AS cost_microcredits, cache_hit,
              latency_ms, tags, started_at
         FROM requests WHERE ${where} ORDER BY started_at DESC LIMIT $6`,
      [...params, limit],
    ),
  ]);
  const t = totals.rows[0]!;
  return {
    object: 'usage',
    from,
    to,
    totals: {
      requests: Number(t.requests),
      errors: Number(t.errors),
      cache_hits: Number(t.cache_hits),
      prompt_tokens: Number(t.prompt_tokens),
      completion_tokens: Number(t.completion_tokens),
      cost: formatCredits(BigInt(t.cost!)),
    },
    by_model: byModel.rows.map((r) => ({
      model: r.model,
      requests: Number(r.requests),
      prompt_tokens: Number(r.prompt_tokens),
      completion_tokens: Number(r.completion_tokens),
      cost: formatCredits(BigInt(r.cost!)),
    })),
    requests: recent.rows.map((r) => ({ ...r, cost: formatCredits(BigInt(r.cost_microcredits as string)) })),
  };
}
