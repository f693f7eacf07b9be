import type { Queryable } from '../../store/db.js';
import { formatCredits } from '../../credits/money.js';
import { InvalidRequestError } from '../../errors.js';

export interface UsageScope {
  accountId?: string;
  userId?: string;
}

/** `tag=team:search` (repeatable) keeps requests carrying every given tag. */
function tagFilter(q: Record<string, unknown>): Record<string, string> | null {
  const raw = q.tag === undefined ? [] : Array.isArray(q.tag) ? q.tag : [q.tag];
  if (raw.length === 0) return null;
  const out: Record<string, string> = {};
  for (const t of raw.map(String)) {
    const i = t.indexOf(':');
    if (i <= 0) throw new InvalidRequestError("'tag' must look like key:value.", { param: 'tag' });
    out[t.slice(0, i)] = t.slice(i + 1);
  }
  return out;
}

function parseTime(value: unknown, name: string): string | null {
  if (value === undefined || value === '') return null;
  const d = new Date(String(value));
  if (Number.isNaN(d.getTime())) throw new InvalidRequestError(`'${name}' must be an ISO 8601 time.`, { param: name });
  return d.toISOString();
}

/**
 * Usage over a period (default: the last 30 days): totals, per model, and the most recent
 * requests. Shared by /v1/usage (scoped to the caller) and the admin API (any scope).
 */
export async function usageQuery(db: Queryable, scope: UsageScope, q: Record<string, unknown>) {
  const from = parseTime(q.from, 'from') ?? new Date(Date.now() - 30 * 86_400_000).toISOString();
  const to = parseTime(q.to, 'to') ?? new Date(Date.now() + 60_000).toISOString();
  const limit = Math.min(Math.max(Number(q.limit ?? 50) || 50, 1), 1000);
  const tags = tagFilter(q);
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
         FROM requests WHERE ${where} ORDER BY started_at DESC LIMIT ${limit}`,
      params,
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
