import { Router } from 'express';
import { alertBodyProblem, createAlert, deleteAlert, listAlerts } from '../../alerts/alert-store.js';
import { createWebhook, deleteWebhook, getDelivery, getWebhook, listDeliveries, listWebhooks, rotateWebhookSecret, updateWebhook } from '../../alerts/webhook-store.js';
import type { Gateway } from '../../gateway.js';
import { AlertCreate, WebhookCreate, WebhookUpdate } from '../../sdk/admin-api/index.js';
import { InvalidRequestError, NotFoundError } from '../../errors.js';
import { clampInt } from '../query.js';
import { mapDbErrors } from './db-errors.js';
import { bodyParser } from './schemas.js';

const parse = { create: bodyParser(WebhookCreate), update: bodyParser(WebhookUpdate), alert: bodyParser(AlertCreate) };
const noWebhook = (id: string) => new NotFoundError(`No webhook '${id}'.`);

/**
 * Webhooks (signed deliveries; the secret is shown once, at creation or rotation), their delivery
 * log and a test send, and the alerts delivered to them:
 *   GET|POST /webhooks, PATCH|DELETE /webhooks/:id, POST /webhooks/:id/secret, POST /webhooks/:id/test,
 *   GET /webhooks/:id/deliveries?limit, GET|POST /alerts, DELETE /alerts/:id
 */
export function alertRoutes(gw: Gateway): Router {
  const r = Router();

  r.get('/webhooks', async (_req, res) => {
    res.json({ data: await listWebhooks(gw.db) });
  });

  r.post('/webhooks', async (req, res) => {
    const body = parse.create(req.body);
    res.setHeader('cache-control', 'no-store');
    res.status(201).json(await createWebhook(gw.db, gw.secrets, body));
  });

  r.patch('/webhooks/:id', async (req, res) => {
    const body = parse.update(req.body);
    const hook = await mapDbErrors(() => updateWebhook(gw.db, req.params.id, body));
    if (!hook) throw noWebhook(req.params.id);
    res.json(hook);
  });

  r.delete('/webhooks/:id', async (req, res) => {
    if (!(await mapDbErrors(() => deleteWebhook(gw.db, req.params.id)))) throw noWebhook(req.params.id);
    res.status(204).end();
  });

  /** A new signing secret (the old one stops verifying at once); the answer is the only time it is shown. */
  r.post('/webhooks/:id/secret', async (req, res) => {
    const hook = await mapDbErrors(() => rotateWebhookSecret(gw.db, gw.secrets, req.params.id));
    if (!hook) throw noWebhook(req.params.id);
    res.setHeader('cache-control', 'no-store');
    res.json(hook);
  });

  /** Sends a signed test event now and answers with its delivery (status, error), which joins the log. */
  r.post('/webhooks/:id/test', async (req, res) => {
    const id = await mapDbErrors(() => gw.alerts.sendTest(req.params.id));
    if (!id) throw noWebhook(req.params.id);
    res.json(await getDelivery(gw.db, id));
  });

  r.get('/webhooks/:id/deliveries', async (req, res) => {
    if (!(await mapDbErrors(() => getWebhook(gw.db, req.params.id)))) throw noWebhook(req.params.id);
    res.json({ data: await listDeliveries(gw.db, req.params.id, clampInt(req.query.limit, 50, 1, 500)) });
  });

  r.get('/alerts', async (_req, res) => {
    res.json({ data: await listAlerts(gw.db) });
  });

  r.post('/alerts', async (req, res) => {
    const body = parse.alert(req.body);
    const problem = alertBodyProblem(body);
    if (problem) throw new InvalidRequestError(problem.message, { param: problem.param, code: 'invalid_field' });
    res.status(201).json(await mapDbErrors(() => createAlert(gw.db, body)));
  });

  r.delete('/alerts/:id', async (req, res) => {
    if (!(await mapDbErrors(() => deleteAlert(gw.db, req.params.id)))) throw new NotFoundError(`No alert '${req.params.id}'.`);
    res.status(204).end();
  });

  return r;
}
