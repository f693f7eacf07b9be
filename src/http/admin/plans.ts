import { Router } from 'express';
import { createPlan, deletePlan, getPlan, listPlans, updatePlan } from '../../config/repo/plans.js';
import type { Gateway } from '../../gateway.js';
import { PlanCreate, PlanUpdate } from '../../sdk/admin-api/index.js';
import { NotFoundError } from '../../errors.js';
import { mapDbErrors } from './db-errors.js';
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
    const plan = await mapDbErrors(() => createPlan(gw.db, body));
    await changed();
    res.status(201).json(plan);
  });

  r.patch('/plans/:id', async (req, res) => {
    const body = parse.update(req.body);
    const plan = await mapDbErrors(() => updatePlan(gw.db, req.params.id, body));
    if (!plan) throw noPlan(req.params.id);
    await changed();
    res.json(plan);
  });

  r.delete('/plans/:id', async (req, res) => {
    if (!(await mapDbErrors(() => deletePlan(gw.db, req.params.id), 'delete'))) throw noPlan(req.params.id);
    await changed();
    res.status(204).end();
  });

  return r;
}
