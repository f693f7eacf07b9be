import { Router } from 'express';
import { addPrice, createModel, deleteModel, getModel, listModels, listPrices, updateModel } from '../../config/repo/models.js';
import type { Gateway } from '../../gateway.js';
import { ModelCreate, ModelUpdate, PriceCreate } from '../../sdk/admin-api/index.js';
import { NotFoundError } from '../../errors.js';
import { mapDbErrors } from './db-errors.js';
import { bodyParser } from './schemas.js';

const parse = { create: bodyParser(ModelCreate), update: bodyParser(ModelUpdate), price: bodyParser(PriceCreate) };
const noModel = (alias: string) => new NotFoundError(`No model '${alias}'.`);

export function modelRoutes(gw: Gateway, changed: () => Promise<void>): Router {
  const r = Router();

  r.get('/models', async (_req, res) => {
    res.json({ data: await listModels(gw.db) });
  });

  r.get('/models/:alias', async (req, res) => {
    const model = await getModel(gw.db, req.params.alias);
    if (!model) throw noModel(req.params.alias);
    res.json(model);
  });

  r.post('/models', async (req, res) => {
    const body = parse.create(req.body);
    const model = await mapDbErrors(() => createModel(gw.db, body));
    await changed();
    res.status(201).json(model);
  });

  r.patch('/models/:alias', async (req, res) => {
    const body = parse.update(req.body);
    const model = await mapDbErrors(() => updateModel(gw.db, req.params.alias, body));
    if (!model) throw noModel(req.params.alias);
    await changed();
    res.json(model);
  });

  r.delete('/models/:alias', async (req, res) => {
    if (!(await mapDbErrors(() => deleteModel(gw.db, req.params.alias), 'delete'))) throw noModel(req.params.alias);
    await changed();
    res.status(204).end();
  });

  r.get('/models/:alias/prices', async (req, res) => {
    res.json({ data: await listPrices(gw.db, req.params.alias) });
  });

  /** A new price row; it applies to requests that start at or after effectiveFrom (default: now). */
  r.post('/models/:alias/prices', async (req, res) => {
    const body = parse.price(req.body);
    const model = await mapDbErrors(() => addPrice(gw.db, req.params.alias, body));
    if (!model) throw noModel(req.params.alias);
    await changed();
    res.status(201).json(model);
  });

  return r;
}
