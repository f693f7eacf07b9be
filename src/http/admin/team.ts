import { Router } from 'express';
import { auditPage } from '../../audit/log.js';
import { createAdminAccount, deleteAdminAccount, getAdminAccount, listAdminAccounts, updateAdminAccount } from '../../auth/admin-accounts.js';
import type { Gateway } from '../../gateway.js';
import { AdminAccountCreate, AdminAccountUpdate } from '../../sdk/admin-api/index.js';
import { InvalidRequestError, NotFoundError } from '../../errors.js';
import { clampInt, optionalString, time } from '../query.js';
import { auditedWrite } from './audited.js';
import { bodyParser } from './schemas.js';

const parse = { create: bodyParser(AdminAccountCreate), update: bodyParser(AdminAccountUpdate) };
const noAccount = (id: string) => new NotFoundError(`No admin account '${id}'.`, 'admin_account_not_found');
const target = (id: string) => ({ type: 'admin_account', id });

/** The admin team (owners only, see roles.ts): GET/POST /team, PATCH/DELETE /team/:id. Every change is audited. */
export function teamRoutes(gw: Gateway): Router {
  const r = Router();

  r.get('/team', async (_req, res) => {
    res.json({ data: await listAdminAccounts(gw.db) });
  });

  r.post('/team', async (req, res) => {
    const body = parse.create(req.body);
    const account = await auditedWrite(gw, res, async (tx, audit) => {
      const created = await createAdminAccount(tx, body);
      await audit({ action: 'admin_account.create', target: target(created.id), after: created });
      return created;
    });
    res.status(201).json(account);
  });

  r.patch('/team/:id', async (req, res) => {
    const body = parse.update(req.body);
    const account = await auditedWrite(gw, res, async (tx, audit) => {
      const before = await getAdminAccount(tx, req.params.id);
      const after = before && (await updateAdminAccount(tx, req.params.id, body));
      if (after) await audit({ action: 'admin_account.update', target: target(after.id), before, after: body.password !== undefined ? { ...after, passwordReset: true } : after });
      return after;
    });
    if (!account) throw noAccount(req.params.id);
    res.json(account);
  });

  r.delete('/team/:id', async (req, res) => {
    const deleted = await auditedWrite(
      gw,
      res,
      async (tx, audit) => {
        const before = await deleteAdminAccount(tx, req.params.id);
        if (before) await audit({ action: 'admin_account.delete', target: target(before.id), before });
        return before;
      },
      'delete',
    );
    if (!deleted) throw noAccount(req.params.id);
    res.status(204).end();
  });

  return r;
}

/** GET /audit?actor&action&targetType&targetId&from&to&before&limit — the audit log, newest first. */
export function auditRoutes(gw: Gateway): Router {
  const r = Router();
  r.get('/audit', async (req, res) => {
    const q = req.query;
    const at = (v: unknown, param: string) => (v === undefined || v === '' ? undefined : new Date(time(v, param, 0)).toISOString());
    const before = optionalString(q.before) ?? undefined;
    if (before !== undefined && !/^[0-9]{1,18}$/.test(before)) throw new InvalidRequestError("'before' must be an entry id (the previous page's nextBefore).", { param: 'before' });
    res.json(
      await auditPage(gw.db, {
        actor: optionalString(q.actor) ?? undefined,
        action: optionalString(q.action) ?? undefined,
        targetType: optionalString(q.targetType) ?? undefined,
        targetId: optionalString(q.targetId) ?? undefined,
        from: at(q.from, 'from'),
        to: at(q.to, 'to'),
        before,
        limit: clampInt(q.limit, 50, 1, 500),
      }),
    );
  });
  return r;
}
