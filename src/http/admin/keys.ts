import { Router } from 'express';
import { KEY_STATUS_FILTER, searchApiKeys, type KeyStatus } from '../../auth/api-key-store.js';
import type { Gateway } from '../../gateway.js';
import { InvalidRequestError } from '../../errors.js';
import { clampInt } from '../query.js';

const isKeyStatus = (s: string): s is KeyStatus => Object.hasOwn(KEY_STATUS_FILTER, s);

/**
 * GET /admin/api/keys?q&status=active|revoked|expired|all&limit — every API key across users, newest
 * first, with its owner (`q` matches the key's prefix or name, or the owner's email). Secrets are
 * never stored, so never listed.
 */
export function keyAdminRoutes(gw: Gateway): Router {
  const r = Router();
  r.get('/keys', async (req, res) => {
    const status = String(req.query.status ?? 'all');
    if (!isKeyStatus(status)) throw new InvalidRequestError(`'status' must be one of ${Object.keys(KEY_STATUS_FILTER).join(', ')}.`, { param: 'status' });
    const q = typeof req.query.q === 'string' ? req.query.q.trim() : '';
    res.json({ data: await searchApiKeys(gw.db, { q, status, limit: clampInt(req.query.limit, 200, 1, 1000) }) });
  });
  return r;
}
