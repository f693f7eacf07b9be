import type { AdminHealth } from '../sdk/admin-api/index.js';
import type { Queryable } from '../store/db.js';

/** Traffic, error and cache-hit rates and upstream latency per provider over a recent window, from the request log. */

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
      `SELECT provider_id AS provider, count(*)::text AS requests,
              count(*) FILTER (WHERE status >= 500 OR status = 0)::text AS errors,
              COALESCE(percentile_cont(0.5) WITHIN GROUP (ORDER BY upstream_latency_ms), 0)::int::text AS p50,
              COALESCE(percentile_cont(0.95) WITHIN GROUP (ORDER BY upstream_latency_ms), 0)::int::text AS p95
         FROM requests WHERE started_at >= $1 AND provider_id IS NOT NULL GROUP BY provider_id ORDER BY provider_id`,
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
