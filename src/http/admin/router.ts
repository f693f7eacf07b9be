import express, { Router } from 'express';
import type { Gateway } from '../../gateway.js';
import { accountAdminRoutes } from './accounts.js';
import { alertRoutes } from './alerts.js';
import { adminAuth } from './auth.js';
import { budgetRoutes } from './budgets.js';
import { requirePermission } from './roles.js';
import { ownSessionRoutes, publicSessionRoutes } from './session.js';
import { auditRoutes, teamRoutes } from './team.js';
import { healthAdminRoutes } from './health.js';
import { keyAdminRoutes } from './keys.js';
import { modelRoutes } from './models.js';
import { planRoutes } from './plans.js';
import { providerRoutes } from './providers.js';
import { requestLogRoutes } from './requests.js';
import { statsAdminRoutes } from './stats.js';
import { userRoutes } from './users.js';

/**
 * The admin REST API under /admin/api, behind the admin token or a signed-in account's session,
 * and the caller's role (roles.ts, checked before any route). Every write is followed by a
 * config reload (catalogue edits) or a key-cache flush (users, keys); every read first waits for
 * the settlement stream (balances, ledgers and request logs include every answered request).
 */
export function adminApi(gw: Gateway, adminTokenHash: Buffer): Router {
  const r = Router();
  r.use(publicSessionRoutes(gw));
  r.use(adminAuth(gw, adminTokenHash));
  r.use(express.json({ limit: '1mb' }));
  r.use(ownSessionRoutes(gw));
  r.use(requirePermission);
  // Reads are exact: settlements appended before the call are written first (bounded wait).
  r.use((req, _res, next) => {
    if (req.method !== 'GET') return next();
    gw.credits.settledUpToNow().then(() => next(), next);
  });
  const catalogueChanged = () => gw.config.reload();
  const keysChanged = () => gw.auth.changedHere();
  r.use(providerRoutes(gw, catalogueChanged));
  r.use(modelRoutes(gw, catalogueChanged));
  r.use(planRoutes(gw, catalogueChanged));
  r.use(userRoutes(gw, keysChanged));
  r.use(accountAdminRoutes(gw));
  r.use(keyAdminRoutes(gw));
  r.use(budgetRoutes(gw, keysChanged));
  r.use(alertRoutes(gw));
  r.use(statsAdminRoutes(gw));
  r.use(requestLogRoutes(gw));
  r.use(healthAdminRoutes(gw));
  r.use(teamRoutes(gw));
  r.use(auditRoutes(gw));
  return r;
}
