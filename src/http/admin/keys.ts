import { Router } from 'express';
import type { Gateway } from '../../gateway.js';
import { InvalidRequestError } from '../../errors.js';

const STATUS_FILTER = {
  active: 'k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now())',
  revoked: 'k.revoked_at IS NOT NULL',
  expired: 'k.revoked_at IS NULL AND k.expires_at <= now()',
  all: 'true',
} as const;

/**
 * GET /admin/api/keys?q&status=active|revoked|expired|all&limit — every API key across users, newest
 * first, with its owner (`q` matches the key's prefix or name, or the owner's email). Secrets are
 * never stored, so never listed.
 */
export function keyAdminRoutes(gw: Gateway): Router {
  const r = Router();
  r.get('/keys', async (req, res) => {
    const q = typeof req.query.q === 'string' ? req.query.q.trim() : '';
    const status = (req.query.status ?? 'all') as string;
    if (!Object.hasOwn(STATUS_FILTER, status)) {
      throw new InvalidRequestError(`'status' must be one of ${Object.keys(STATUS_FILTER).join(', ')}.`, { param: 'status' });
    }
    const limit = Math.min(Math.max(Number(req.query.limit ?? 200) || 200, 1), 1000);
    const { rows } = await gw.db.query(
      `SELECT k.id, k.prefix, k.name, k.user_id AS "userId", u.email AS "userEmail", u.account_id AS "accountId",
              k.revoked_at AS "revokedAt", k.expires_at AS "expiresAt", k.created_at AS "createdAt"
         FROM api_keys k JOIN users u ON u.id = k.user_id
        WHERE ${STATUS_FILTER[status as keyof typeof STATUS_FILTER]}
          AND ($1 = '' OR k.prefix ILIKE $1 || '%' OR k.name ILIKE '%' || $1 || '%' OR u.email ILIKE '%' || $1 || '%')
        ORDER BY k.created_at DESC LIMIT ${limit}`,
      [q],
    );
    res.json({ data: rows });
  });
  return r;
}
