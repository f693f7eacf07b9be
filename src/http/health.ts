import type { Request, RequestHandler, Response } from 'express';
import type { Gateway } from '../gateway.js';

/** GET /health — liveness: the process answers. Touches no dependency. */
export const health: RequestHandler = (_req: Request, res: Response) => {
  res.json({ status: 'ok' });
};

/**
 * GET /ready — readiness: config loaded, Postgres answers, not shutting down; a load balancer
 * stops sending traffic on a 503. Redis is reported but does not fail readiness: without it the
 * gateway still serves (config from memory, limits in memory), and failing every instance at
 * once would turn a Redis outage into a full one.
 */
export function ready(gw: Gateway): RequestHandler {
  return async (_req: Request, res: Response) => {
    const checks: Record<string, string> = {};
    let ok = true;
    if (gw.lifecycle.shuttingDown) {
      ok = false;
      checks.lifecycle = 'shutting down';
    }
    checks.config = gw.config.isLoaded ? 'ok' : 'not loaded';
    if (!gw.config.isLoaded) ok = false;
    await Promise.all(
      Object.entries(gw.probes).map(async ([name, probe]) => {
        try {
          await withTimeout(probe(), 2_000);
          checks[name] = 'ok';
        } catch (err) {
          ok = false;
          checks[name] = `unavailable: ${(err as Error).message}`;
        }
      }),
    );
    let degraded = false;
    await Promise.all(
      Object.entries(gw.degradableProbes).map(async ([name, probe]) => {
        try {
          await withTimeout(probe(), 1_000);
          checks[name] = 'ok';
        } catch (err) {
          degraded = true;
          checks[name] = `unavailable (serving without it): ${(err as Error).message}`;
        }
      }),
    );
    res.status(ok ? 200 : 503).json({ status: ok ? (degraded ? 'degraded' : 'ready') : 'not_ready', checks });
  };
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms).unref())]);
}
