import { Router } from 'express';
import { createPlan, deletePlan, getPlan, listPlans, updatePlan } from '../../config/repo/plans.js';
import type { Gateway } from '../../gateway.js';
import { PlanCreate, PlanUpdate } from '../../sdk/admin-api/index.js';
import { NotFoundError } from '../../errors.js';
import { auditedWrite } from './audited.js';
import { bodyParser } from './schemas.js';

const parse = { create: bodyParser(PlanCreate), update: bodyParser(PlanUpdate) };
const noPlan = (id: string) => new NotFoundError(`No plan '${id}'.`);

export function planRoutes(gw: Gateway, changed: () => Promise<void>): Router {
  const r = Router();

  r.get('/plans', async (_req, res) => {
    res.json({ data: await listPlans(gw.db) });
  });

  r.get('/plans/:id', async (req, res) => {
    const plan = await getPlan(gw.db, req.params.id);
    if (!plan) throw noPlan(req.params.id);
    res.json(plan);
  });

  r.post('/plans', async (req, res) => {
    const body = parse.create(req.body);
    const plan = await auditedWrite(gw, res, async (tx, audit) => {
      const after = await createPlan(tx, body);
      await audit({ action: 'plan.create', target: { type: 'plan', id: after.id }, after });
      return after;
    });
    await changed();
    res.status(201).json(plan);
  });

  r.patch('/plans/:id', async (req, res) => {
    const body = parse.update(req.body);
    const plan = await auditedWrite(gw, res, async (tx, audit) => {
      const before = await getPlan(tx, req.params.id);
      const after = before && (await updatePlan(tx, req.params.id, body));
      if (after) await audit({ action: 'plan.update', target: { type: 'plan', id: after.id }, before, after });
      return after;
    });
    if (!plan) throw noPlan(req.params.id);
    await changed();
    res.json(plan);
  });

  r.delete('/plans/:id', async (req, res) => {
    const deleted = await auditedWrite(
      gw,
      res,
      async (tx, audit) => {
        const before = await getPlan(tx, req.params.id);
        if (before && (await deletePlan(tx, req.params.id))) await audit({ action: 'plan.delete', target: { type: 'plan', id: before.id }, before });
        return before;
      },
      'delete',
    );
    if (!deleted) throw noPlan(req.params.id);
    await changed();
    res.status(204).end();
  });

  return r;
}
