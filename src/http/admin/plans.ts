import { Router } from 'express';
import type { Gateway } from '../../gateway.js';
import { NotFoundError } from '../../errors.js';
import { mapDbErrors } from './db-errors.js';
import { setClause } from './providers.js';
import { checkBody } from './schemas.js';

const PLAN_COLUMNS: Record<string, string> = {
  name: 'name',
  rpm: 'rpm',
  rpmPerProvider: 'rpm_per_provider',
  tpm: 'tpm',
  maxConcurrentStreams: 'max_concurrent_streams',
  markupBps: 'markup_bps',
};

const PLAN_SELECT = `SELECT id, name, rpm, rpm_per_provider AS "rpmPerProvider", tpm, max_concurrent_streams AS "maxConcurrentStreams",
  markup_bps AS "markupBps", created_at AS "createdAt", updated_at AS "updatedAt",
  (SELECT count(*)::int FROM users u WHERE u.plan_id = plans.id) AS "userCount" FROM plans`;

export function planRoutes(gw: Gateway, changed: () => Promise<void>): Router {
  const r = Router();

  r.get('/plans', async (_req, res) => {
    const { rows } = await gw.db.query(`${PLAN_SELECT} ORDER BY id`);
    res.json({ data: rows });
  });

  r.get('/plans/:id', async (req, res) => {
    const { rows } = await gw.db.query(`${PLAN_SELECT} WHERE id = $1`, [req.params.id]);
    if (!rows[0]) throw new NotFoundError(`No plan '${req.params.id}'.`);
    res.json(rows[0]);
  });

  r.post('/plans', async (req, res) => {
    const b = checkBody<Record<string, unknown> & { id: string; name: string }>('planCreate', req.body);
    await mapDbErrors(() =>
      gw.db.query(
        `INSERT INTO plans (id, name, rpm, rpm_per_provider, tpm, max_concurrent_streams, markup_bps) VALUES ($1, $2, $3, $4, $5, $6, COALESCE($7, 0))`,
        [b.id, b.name, b.rpm ?? null, b.rpmPerProvider ?? null, b.tpm ?? null, b.maxConcurrentStreams ?? null, b.markupBps ?? null],
      ),
    );
    await changed();
    const { rows } = await gw.db.query(`${PLAN_SELECT} WHERE id = $1`, [b.id]);
    res.status(201).json(rows[0]);
  });

  r.patch('/plans/:id', async (req, res) => {
    const b = checkBody<Record<string, unknown>>('planUpdate', req.body);
    const set = setClause(b, PLAN_COLUMNS, 2);
    const { rowCount } = await mapDbErrors(() => gw.db.query(`UPDATE plans SET ${set.sql}, updated_at = now() WHERE id = $1`, [req.params.id, ...set.values]));
    if (!rowCount) throw new NotFoundError(`No plan '${req.params.id}'.`);
    await changed();
    const { rows } = await gw.db.query(`${PLAN_SELECT} WHERE id = $1`, [req.params.id]);
    res.json(rows[0]);
  });

  r.delete('/plans/:id', async (req, res) => {
    const { rowCount } = await mapDbErrors(() => gw.db.query('DELETE FROM plans WHERE id = $1', [req.params.id]), 'delete');
    if (!rowCount) throw new NotFoundError(`No plan '${req.params.id}'.`);
    await changed();
    res.status(204).end();
  });

  return r;
}
