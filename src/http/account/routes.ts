import { Router, type Request } from 'express';
import { extractBearer } from '../../auth/api-keys.js';
import type { Principal } from '../../auth/principal.js';
import { formatCredits, micros } from '../../credits/money.js';
import type { Gateway } from '../../gateway.js';
import { NotFoundError } from '../../errors.js';
import { usageQuery } from './usage-query.js';

/**
 * What a caller can read about its own money, with its API key:
 *   GET /v1/credits        balance, held, available of the key's account
 *   GET /v1/usage          totals and per-model breakdown over a period, and recent requests
 *   GET /v1/requests/:id   one request of the caller's account, with its cost
 */
export function accountRoutes(gw: Gateway): Router {
  const r = Router();
  const principalOf = (req: Request): Promise<Principal> => gw.auth.authenticate(extractBearer(req.headers.authorization, req.headers['x-api-key']));

  r.get('/v1/credits', async (req, res) => {
    const p = await principalOf(req);
    const { rows } = await gw.db.query<{ balance: string; held: string; name: string }>('SELECT balance, held, name FROM accounts WHERE id = $1', [p.accountId]);
    const a = rows[0];
    if (!a) throw new NotFoundError('The account behind this key no longer exists.', 'account_not_found');
    const balance = micros(a.balance);
    const held = micros(a.held);
    res.setHeader('cache-control', 'no-store');
    res.json({
      object: 'credits',
      account_id: p.accountId,
      account_name: a.name,
      balance: formatCredits(balance),
      held: formatCredits(held),
      available: formatCredits(balance - held),
      balance_microcredits: a.balance,
      held_microcredits: a.held,
    });
  });

  r.get('/v1/usage', async (req, res) => {
    const p = await principalOf(req);
    const scope = req.query.scope === 'account' ? 'account' : 'user';
    res.json(await usageQuery(gw.db, { accountId: p.accountId, userId: scope === 'user' ? p.userId : undefined }, req.query));
  });

  r.get('/v1/requests/:id', async (req, res) => {
    const p = await principalOf(req);
    const { rows } = await gw.db.query<Record<string, unknown>>(
      `SELECT id, endpoint, model_alias AS model, served_model, provider_id AS provider, stream, status, error_code,
              prompt_tokens, completion_tokens, cached_tokens, cache_write_tokens, reasoning_tokens, usage_estimated,
              cost::text AS cost_microcredits, cache_hit, latency_ms, attempts, tags, started_at, finished_at
         FROM requests WHERE id = $1 AND account_id = $2`,
      [req.params.id, p.accountId],
    );
    const row = rows[0];
    if (!row) throw new NotFoundError(`No request '${req.params.id}' on this account.`, 'request_not_found');
    res.json({ object: 'request', ...row, cost: formatCredits(BigInt(row.cost_microcredits as string)) });
  });

  return r;
}
