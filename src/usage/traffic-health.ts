import type { AdminHealth } from '../sdk/admin-api/index.js';
import type { Queryable } from '../store/db.js';

/**
 * Traffic, error and cache-hit rates over a recent window, from the request log; per provider from
 * the upstream attempts each request made, so a provider that failed before a fallback served the
 * request shows its errors (a deployment skipped without a call — open breaker, no key — is not a
 * call). A failed attempt: no answer (status 0), 429 or 5xx.
 */

const rate = (n: number, total: number) => (total === 0 ? 0 : Math.round((n / total) * 10_000) / 10_000);

export async function trafficHealth(db: Queryable, since: Date): Promise<Pick<AdminHealth, 'requests' | 'providers'>> {
  const [totals, providers] = await Promise.all([
    db.query<Record<string, string>>(
      `SELECT count(*)::text AS total,
              count(*) FILTER (WHERE status >= 500 OR status = 0)::text AS server_errors,
              count(*) FILTER (WHERE status >= 400 AND status < 500)::text AS client_errors,
              count(*) FILTER (WHERE cache_hit)::text AS cache_hits
         FROM requests WHERE started_at >= $1`,
      [since.toISOString()],
    ),
    db.query<Record<string, string>>(
      `SELECT a.provider, count(*)::text AS requests,
              count(*) FILTER (WHERE a.status = 0 OR a.status = 429 OR a.status >= 500)::text AS errors,
              COALESCE(percentile_cont(0.5) WITHIN GROUP (ORDER BY a."latencyMs"), 0)::int::text AS p50,
              COALESCE(percentile_cont(0.95) WITHIN GROUP (ORDER BY a."latencyMs"), 0)::int::text AS p95
         FROM requests r
        CROSS JOIN LATERAL jsonb_to_recordset(r.attempts) AS a(provider text, "keyId" text, status int, "latencyMs" int)
        WHERE r.started_at >= $1 AND a.provider IS NOT NULL AND COALESCE(a."keyId", '') <> ''
        GROUP BY a.provider ORDER BY a.provider`,
      [since.toISOString()],
    ),
  ]);
  const t = totals.rows[0]!;
  const total = Number(t.total);
  return {
    requests: {
      total,
      serverErrors: Number(t.server_errors),
      clientErrors: Number(t.client_errors),
      serverErrorRate: rate(Number(t.server_errors), total),
      cacheHits: Number(t.cache_hits),
      cacheHitRate: rate(Number(t.cache_hits), total),
    },
    providers: providers.rows.map((p) => ({
      provider: p.provider!,
      requests: Number(p.requests),
      errors: Number(p.errors),
      errorRate: rate(Number(p.errors), Number(p.requests)),
      p50LatencyMs: Number(p.p50),
      p95LatencyMs: Number(p.p95),
    })),
  };
}
