import express, { type Express } from 'express';
import type { Gateway } from './gateway.js';
import { accountRoutes } from './http/account/routes.js';
import { adminApi } from './http/admin/router.js';
import { adminUi } from './http/admin-ui.js';
import { errorMiddleware, notFoundHandler } from './http/error-middleware.js';
import { health, ready } from './http/health.js';
import { listModels, retrieveModel } from './http/openai/models.js';
import { AuthenticationError } from './errors.js';
import { beginRequest } from './http/lifecycle.js';
import { setIdentityHeaders } from './http/context.js';
import { secretsEqual } from './store/secrets.js';

/**
 * The express app, for every route but the two hot ones (see http/listener.ts). Middleware
 * order: request start (id, shutdown gate) → routes → 404 → errors. No global body parser:
 * routes read their own bounded bodies.
 */
export function createApp(gw: Gateway, adminTokenHash: Buffer): Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('trust proxy', trustProxy(gw.env.TRUST_PROXY));

  app.get('/health', health);
  app.get('/ready', ready(gw));
  app.get('/metrics', async (req, res) => {
    const token = gw.env.METRICS_TOKEN;
    if (token && !secretsEqual(req.headers.authorization ?? '', `Bearer ${token}`)) throw new AuthenticationError('/metrics needs "Authorization: Bearer <METRICS_TOKEN>".', 'invalid_metrics_token');
    gw.metrics.inflight.set(gw.lifecycle.inflight);
    const out = await gw.metrics.render();
    res.type(out.contentType).send(out.body);
  });

  app.use((req, res, next) => {
    const ctx = beginRequest(gw, req, res);
    if (!ctx) return;
    setIdentityHeaders(res, ctx, gw.instanceId);
    next();
  });

  // POST /v1/chat/completions and /v1/embeddings are served before express (http/listener.ts).
  app.get('/v1/models', listModels(gw));
  app.get('/v1/models/:model', retrieveModel(gw));
  app.use(accountRoutes(gw));

  app.use('/admin/api', adminApi(gw, adminTokenHash));
  app.use('/admin', adminUi());

  app.use(notFoundHandler);
  app.use(errorMiddleware(gw));
  return app;
}

/**
 * Express's "trust proxy" from TRUST_PROXY. Trusting every hop would let a client choose its own
 * address (the left of X-Forwarded-For is whatever it sent), and with it dodge per-address limits
 * such as sign-in throttling; trusted proxies are skipped from the right, so the client is the
 * first address a trusted proxy saw.
 */
function trustProxy(setting: string): boolean | number | string {
  const v = setting.trim();
  if (v === 'true') return true;
  if (v === 'false' || v === '') return false;
  if (/^\d+$/.test(v)) return Number(v);
  return v;
}
