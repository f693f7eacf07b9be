import { Router, type Request } from 'express';
import { extractBearer } from '../../auth/api-keys.js';
import type { Principal } from '../../auth/principal.js';
import { accountBalance } from '../../credits/accounts.js';
import { capsWithUsage } from '../../credits/budget-caps.js';
import { formatCredits } from '../../credits/money.js';
import type { Gateway } from '../../gateway.js';
import { NotFoundError } from '../../errors.js';
import { getAccountRequest } from '../../usage/request-log.js';
import { usageReport } from '../../usage/usage-report.js';
import { readUsageQuery } from './usage-query.js';

/**
 * What a caller can read about its own money, with its API key:
 *   GET /v1/credits        balance, held (by requests in flight), available of the key's account; the
 *                          spend caps of the key and its user with their usage; the key's model allowlist
 *   GET /v1/usage          totals and per-model breakdown over a period, and recent requests
 *   GET /v1/requests/:id   one request of the caller's account, with its cost
 */
export function accountRoutes(gw: Gateway): Router {
  const r = Router();
  const principalOf = (req: Request): Promise<Principal> => gw.auth.authenticate(extractBearer(req.headers.authorization, req.headers['x-api-key']));

  // Exact reads: settlements appended before the call are written first (bounded wait).
  r.get('/v1/credits', async (req, res) => {
    const p = await principalOf(req);
    await gw.credits.settledUpToNow();
    const a = await accountBalance(gw.db, p.accountId);
    if (!a) throw new NotFoundError('The account behind this key no longer exists.', 'account_not_found');
    // Held by requests in flight: their holds in Postgres and, out of this instance's lease, its
    // own requests' (other instances' are inside their leases, which are not spent).
    const held = a.held + gw.credits.heldHere(p.accountId);
    res.setHeader('cache-control', 'no-store');
    res.json({
      object: 'credits',
      account_id: p.accountId,
      account_name: a.name,
      balance: formatCredits(a.balance),
      held: formatCredits(held),
      available: formatCredits(a.balance - held),
      balance_microcredits: a.balance.toString(),
      held_microcredits: held.toString(),
      allowed_models: p.allowedModels ?? null,
      budgets: (await capsWithUsage(gw.db, { keyId: p.keyId, userId: p.userId })).map((b) => ({
        scope: b.scope,
        period: b.period,
        limit: b.limit,
        spent: b.spent,
        reserved: b.reserved,
        remaining: b.remaining,
        limit_microcredits: b.limitMicros,
        spent_microcredits: b.spentMicros,
        reserved_microcredits: b.reservedMicros,
        period_start: b.periodStart,
        resets_at: b.resetsAt,
      })),
    });
  });

  r.get('/v1/usage', async (req, res) => {
    const p = await principalOf(req);
    await gw.credits.settledUpToNow();
    const scope = req.query.scope === 'account' ? 'account' : 'user';
    res.json(await usageReport(gw.db, { accountId: p.accountId, userId: scope === 'user' ? p.userId : undefined }, readUsageQuery(req.query)));
  });

  r.get('/v1/requests/:id', async (req, res) => {
    const p = await principalOf(req);
    await gw.credits.settledUpToNow();
    const row = await getAccountRequest(gw.db, p.accountId, req.params.id);
    if (!row) throw new NotFoundError(`No request '${req.params.id}' on this account.`, 'request_not_found');
    res.json({ object: 'request', ...row });
  });

  return r;
}
