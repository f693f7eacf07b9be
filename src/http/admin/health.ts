import { Router } from 'express';
import type { Gateway } from '../../gateway.js';


/**
 * GET /admin/api/health?minutes=60 — what the operator's health page shows: traffic, error and
 * cache-hit rates and latency per provider over the window (from the request log), and the
 * circuit breaker of every provider key (from this instance's memory).
 */
export function healthAdminRoutes(gw: Gateway): Router {
  const r = Router();
  r.get('/health', async (req, res) => {
    const minutes = Math.min(Math.max(Number(req.query.minutes ?? 60) || 60, 1), 10_080);
    const since = new Date(Date.now() - minutes * 60_000).toISOString();
    const [totals, providers] = await Promise.all([
      gw.db.query<Record<string, string>>(
        `SELECT count(*)::text AS total,
                count(*) FILTER (WHERE status >= 500 OR status = 0)::text AS server_errors,
                count(*) FILTER (WHERE status >= 400 AND status < 500)::text AS client_errors,
                count(*) FILTER (WHERE cache_hit)::text AS cache_hits
           FROM requests WHERE started_at >= $1`,
        [since],
      ),
      gw.db.query<Record<string, string>>(
        `SELECT provider_id AS provider, count(*)::text AS requests,
                count(*) FILTER (WHERE status >= 500 OR status = 0)::text AS errors,
                COALESCE(percentile_cont(0.5) WITHIN GROUP (ORDER BY upstream_latency_ms), 0)::int::text AS p50,
                COALESCE(percentile_cont(0.95) WITHIN GROUP (ORDER BY upstream_latency_ms), 0)::int::text AS p95
           FROM requests WHERE started_at >= $1 AND provider_id IS NOT NULL GROUP BY provider_id ORDER BY provider_id`,
        [since],
      ),
    ]);
    const t = totals.rows[0]!;
    const total = Number(t.total);
    const rate = (n: number) => (total === 0 ? 0 : Math.round((n / total) * 10_000) / 10_000);
    res.json({
      instance: gw.instanceId,
      windowMinutes: minutes,
      requests: {
        total,
        serverErrors: Number(t.server_errors),
        clientErrors: Number(t.client_errors),
        serverErrorRate: rate(Number(t.server_errors)),
        cacheHits: Number(t.cache_hits),
        cacheHitRate: rate(Number(t.cache_hits)),
      },
      providers: providers.rows.map((p) => ({
        provider: p.provider,
        requests: Number(p.requests),
        errors: Number(p.errors),
        errorRate: Number(p.requests) === 0 ? 0 : Math.round((Number(p.errors) / Number(p.requests)) * 10_000) / 10_000,
        p50LatencyMs: Number(p.p50),
        p95LatencyMs: Number(p.p95),
      })),
      breakers: gw.breakers.snapshot((keyId) => gw.keys.inFlight(keyId)),
    });
  });
  return r;
}
