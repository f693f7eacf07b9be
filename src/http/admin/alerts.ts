import { Router } from 'express';
import { alertBodyProblem, budgetAlertProblem, createAlert, deleteAlert, listAlerts } from '../../alerts/alert-store.js';
import { webhookTargetProblem } from '../../alerts/webhook-target.js';
import { createWebhook, deleteWebhook, getWebhook, listDeliveries, listWebhooks, rotateWebhookSecret, updateWebhook } from '../../alerts/webhook-store.js';
import type { Gateway } from '../../gateway.js';
import { AlertCreate, WebhookCreate, WebhookUpdate, type Webhook } from '../../sdk/admin-api/index.js';
import { InvalidRequestError, NotFoundError } from '../../errors.js';
import { clampInt } from '../query.js';
import { auditedWrite } from './audited.js';
import { mapDbErrors } from './db-errors.js';
import { bodyParser } from './schemas.js';

const parse = { create: bodyParser(WebhookCreate), update: bodyParser(WebhookUpdate), alert: bodyParser(AlertCreate) };
const noWebhook = (id: string) => new NotFoundError(`No webhook '${id}'.`);

/** An internal target is refused unless WEBHOOK_ALLOW_PRIVATE (alerts/webhook-target.ts). */
async function checkTarget(gw: Gateway, url: string | undefined): Promise<void> {
  if (url === undefined || gw.env.WEBHOOK_ALLOW_PRIVATE) return;
  const problem = await webhookTargetProblem(url);
  if (problem) throw new InvalidRequestError(problem, { param: 'url', code: 'invalid_field' });
}

/**
 * A webhook as the audit log keeps it: never its signing secret, and its URL only up to the host
 * (chat services put their own secret in a webhook's path or query).
 */
function audited(hook: Webhook | undefined): unknown {
  if (!hook) return null;
  const { secret: _secret, ...rest } = hook as Webhook & { secret?: string };
  let url = '…';
  try {
    const u = new URL(hook.url);
    url = `${u.protocol}//${u.host}${u.pathname === '/' && !u.search ? '/' : '/…'}`;
  } catch {
    /* stored URLs are valid; keep the placeholder */
  }
  return { ...rest, url };
}

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
    await checkTarget(gw, body.url);
    res.setHeader('cache-control', 'no-store');
    const hook = await auditedWrite(gw, res, async (tx, audit) => {
      const made = await createWebhook(tx, gw.secrets, body);
      await audit({ action: 'webhook.create', target: { type: 'webhook', id: made.id }, after: audited(made) });
      return made;
    });
    res.status(201).json(hook);
  });

  r.patch('/webhooks/:id', async (req, res) => {
    const body = parse.update(req.body);
    await checkTarget(gw, body.url);
    const hook = await auditedWrite(gw, res, async (tx, audit) => {
      const before = await getWebhook(tx, req.params.id);
      const after = before && (await updateWebhook(tx, req.params.id, body));
      if (after) await audit({ action: 'webhook.update', target: { type: 'webhook', id: after.id }, before: audited(before), after: audited(after) });
      return after;
    });
    if (!hook) throw noWebhook(req.params.id);
    res.json(hook);
  });

  r.delete('/webhooks/:id', async (req, res) => {
    const gone = await auditedWrite(gw, res, async (tx, audit) => {
      const before = await getWebhook(tx, req.params.id);
      if (!before || !(await deleteWebhook(tx, req.params.id))) return false;
      await audit({ action: 'webhook.delete', target: { type: 'webhook', id: before.id }, before: audited(before) });
      return true;
    });
    if (!gone) throw noWebhook(req.params.id);
    res.status(204).end();
  });

  /** A new signing secret (the old one stops verifying at once); the answer is the only time it is shown. */
  r.post('/webhooks/:id/secret', async (req, res) => {
    const hook = await auditedWrite(gw, res, async (tx, audit) => {
      const rotated = await rotateWebhookSecret(tx, gw.secrets, req.params.id);
      if (rotated) await audit({ action: 'webhook.rotate_secret', target: { type: 'webhook', id: rotated.id } });
      return rotated;
    });
    if (!hook) throw noWebhook(req.params.id);
    res.setHeader('cache-control', 'no-store');
    res.json(hook);
  });

  /** Sends a signed test event now and answers with its delivery (status, error), which joins the log. */
  r.post('/webhooks/:id/test', async (req, res) => {
    const delivery = await mapDbErrors(() => gw.alerts.sendTest(req.params.id));
    if (!delivery) throw noWebhook(req.params.id);
    res.json(delivery);
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
    const problem = alertBodyProblem(body) ?? (await budgetAlertProblem(gw.db, body));
    if (problem) throw new InvalidRequestError(problem.message, { param: problem.param, code: 'invalid_field' });
    const alert = await auditedWrite(gw, res, async (tx, audit) => {
      const made = await createAlert(tx, body);
      await audit({ action: 'alert.create', target: { type: 'alert', id: made.id }, after: made });
      return made;
    });
    res.status(201).json(alert);
  });

  r.delete('/alerts/:id', async (req, res) => {
    const gone = await auditedWrite(gw, res, async (tx, audit) => {
      if (!(await deleteAlert(tx, req.params.id))) return false;
      await audit({ action: 'alert.delete', target: { type: 'alert', id: req.params.id } });
      return true;
    });
    if (!gone) throw new NotFoundError(`No alert '${req.params.id}'.`);
    res.status(204).end();
  });

  return r;
}
