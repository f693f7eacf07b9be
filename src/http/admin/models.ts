import { Router } from 'express';
import { addPrice, createModel, deleteModel, getModel, listModels, listPrices, updateModel } from '../../config/repo/models.js';
import type { Gateway } from '../../gateway.js';
import { ModelCreate, ModelUpdate, PriceCreate } from '../../sdk/admin-api/index.js';
import { NotFoundError } from '../../errors.js';
import { auditedWrite } from './audited.js';
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
    const model = await auditedWrite(gw, res, async (tx, audit) => {
      const after = await createModel(tx, body);
      await audit({ action: 'model.create', target: { type: 'model', id: after.alias }, after });
      return after;
    });
    await changed();
    res.status(201).json(model);
  });

  r.patch('/models/:alias', async (req, res) => {
    const body = parse.update(req.body);
    const model = await auditedWrite(gw, res, async (tx, audit) => {
      const before = await getModel(tx, req.params.alias);
      const after = before && (await updateModel(tx, req.params.alias, body));
      if (after) await audit({ action: 'model.update', target: { type: 'model', id: after.alias }, before, after });
      return after;
    });
    if (!model) throw noModel(req.params.alias);
    await changed();
    res.json(model);
  });

  r.delete('/models/:alias', async (req, res) => {
    const deleted = await auditedWrite(
      gw,
      res,
      async (tx, audit) => {
        const before = await getModel(tx, req.params.alias);
        if (before && (await deleteModel(tx, req.params.alias))) await audit({ action: 'model.delete', target: { type: 'model', id: before.alias }, before });
        return before;
      },
      'delete',
    );
    if (!deleted) throw noModel(req.params.alias);
    await changed();
    res.status(204).end();
  });

  r.get('/models/:alias/prices', async (req, res) => {
    res.json({ data: await listPrices(gw.db, req.params.alias) });
  });

  /** A new price row; it applies to requests that start at or after effectiveFrom (default: now). */
  r.post('/models/:alias/prices', async (req, res) => {
    const body = parse.price(req.body);
    const model = await auditedWrite(gw, res, async (tx, audit) => {
      const before = await getModel(tx, req.params.alias);
      const after = before && (await addPrice(tx, req.params.alias, body));
      if (after) await audit({ action: 'price.create', target: { type: 'model', id: after.alias }, before: { priceHistory: before!.priceHistory }, after: { priceHistory: after.priceHistory } });
      return after;
    });
    if (!model) throw noModel(req.params.alias);
    await changed();
    res.status(201).json(model);
  });

  return r;
}
