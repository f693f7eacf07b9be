import { Router } from 'express';
import type { Gateway } from '../../gateway.js';
import type { AdminHealth } from '../../sdk/admin-api/index.js';
import { trafficHealth } from '../../usage/traffic-health.js';
import { clampInt } from '../query.js';

/**
 * GET /admin/api/health?minutes=60 — what the operator's health page shows: traffic, error and
 * cache-hit rates and latency per provider over the window (from the request log), and the
 * circuit breaker of every provider key (from this instance's memory).
 */
export function healthAdminRoutes(gw: Gateway): Router {
  const r = Router();
  r.get('/health', async (req, res) => {
    const minutes = clampInt(req.query.minutes, 60, 1, 10_080);
    const traffic = await trafficHealth(gw.db, new Date(Date.now() - minutes * 60_000));
    const health: AdminHealth = {
      instance: gw.instanceId,
      windowMinutes: minutes,
      ...traffic,
      breakers: gw.breakers.snapshot((keyId) => gw.keys.inFlight(keyId)),
    };
    res.json(health);
  });
  return r;
}
