import express, { type Express } from 'express';
import type { Gateway } from './gateway.js';
import { accountRoutes } from './http/account/routes.js';
import { adminApi } from './http/admin/router.js';
import { adminUi } from './http/admin-ui.js';
import { requestContextMiddleware } from './http/context.js';
import { errorMiddleware, notFoundHandler } from './http/error-middleware.js';
import { health, ready } from './http/health.js';
import { chatCompletions } from './http/openai/chat-completions.js';
import { embeddings } from './http/openai/embeddings.js';
import { listModels, retrieveModel } from './http/openai/models.js';
import { AuthenticationError, ServiceUnavailableError } from './http/errors.js';
import { finishAdmissions } from './limits/steps.js';
import { requestFinished } from './observability/request-end.js';
import { secretsEqual } from './store/secrets.js';

/**
 * The express app. Middleware order: request id → lifecycle gate → routes → 404 → errors.
 * The OpenAI routes read their own bodies (bounded, see http/body.ts) so no global body parser
 * runs on the hot path.
 */
export function createApp(gw: Gateway, adminTokenHash: Buffer): Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('trust proxy', true);

  app.get('/health', health);
  app.get('/ready', ready(gw));
  app.get('/metrics', async (req, res) => {
    const token = gw.env.METRICS_TOKEN;
    if (token && !secretsEqual(req.headers.authorization ?? '', `Bearer ${token}`)) throw new AuthenticationError('/metrics needs "Authorization: Bearer <METRICS_TOKEN>".', 'invalid_metrics_token');
    gw.metrics.inflight.set(gw.lifecycle.inflight);
    const out = await gw.metrics.render();
    res.type(out.contentType).send(out.body);
  });

  app.use(requestContextMiddleware);
  app.use((req, res, next) => {
    if (gw.lifecycle.shuttingDown) {
      res.setHeader('connection', 'close');
      next(new ServiceUnavailableError('The gateway is shutting down; retry on another instance.', 'shutting_down', 1));
      return;
    }
    gw.lifecycle.inflight++;
    res.once('close', () => {
      gw.lifecycle.inflight--;
      const ctx = res.locals.ctx;
      finishAdmissions(ctx);
      if (ctx.endpoint) requestFinished(gw, ctx, req.method, req.path);
    });
    next();
  });

  app.post('/v1/chat/completions', chatCompletions(gw));
  app.post('/v1/embeddings', embeddings(gw));
  app.get('/v1/models', listModels(gw));
  app.get('/v1/models/:model', retrieveModel(gw));
  app.use(accountRoutes(gw));

  app.use('/admin/api', adminApi(gw, adminTokenHash));
  app.use('/admin', adminUi());

  app.use(notFoundHandler);
  app.use(errorMiddleware(gw));
  return app;
}
