import { Router } from 'express';
import { userExists } from '../../auth/users.js';
import { capsOf, capsWithUsage, keyLimitsOwner, setAllowedModels, setCaps } from '../../credits/budget-caps.js';
import type { Gateway } from '../../gateway.js';
import { KeyLimitsUpdate, UserLimitsUpdate, type KeyLimits, type UserLimits } from '../../sdk/admin-api/index.js';
import { InvalidRequestError, NotFoundError } from '../../errors.js';
import { auditedWrite } from './audited.js';
import { mapDbErrors } from './db-errors.js';
import { bodyParser } from './schemas.js';

const parse = { key: bodyParser(KeyLimitsUpdate), user: bodyParser(UserLimitsUpdate) };
const noKey = (id: string) => new NotFoundError(`No API key '${id}'.`);
const noUser = (id: string) => new NotFoundError(`No user '${id}'.`);

/**
 * Spend caps (per UTC day, UTC month, lifetime) of keys and users, and a key's model allowlist:
 *   GET|PATCH /keys/:id/limits    the key's caps and allowlist (the answer also lists its user's caps)
 *   GET|PATCH /users/:id/limits   the user's caps
 * With each cap, what its current period has spent and what requests in flight reserve.
 */
export function budgetRoutes(gw: Gateway, keysChanged: () => Promise<void>): Router {
  const r = Router();

  const keyLimits = async (keyId: string): Promise<KeyLimits> => {
    const owner = await mapDbErrors(() => keyLimitsOwner(gw.db, keyId));
    if (!owner) throw noKey(keyId);
    return { keyId, allowedModels: owner.allowedModels, budgets: await capsWithUsage(gw.db, { keyId, userId: owner.userId }) };
  };
  const userLimits = async (userId: string): Promise<UserLimits> => {
    if (!(await mapDbErrors(() => userExists(gw.db, userId)))) throw noUser(userId);
    return { userId, budgets: await capsWithUsage(gw.db, { userId }) };
  };

  r.get('/keys/:id/limits', async (req, res) => {
    res.json(await keyLimits(req.params.id));
  });

  r.patch('/keys/:id/limits', async (req, res) => {
    const body = parse.key(req.body);
    const keyId = req.params.id;
    if (!(await mapDbErrors(() => keyLimitsOwner(gw.db, keyId)))) throw noKey(keyId);
    const unknown = body.allowedModels?.filter((m) => !gw.config.current.models.has(m)) ?? [];
    if (unknown.length) throw new InvalidRequestError(`No model '${unknown[0]}' in the catalogue.`, { param: 'allowedModels', code: 'invalid_field' });
    await auditedWrite(gw, res, async (tx, audit) => {
      const limits = async () => ({ allowedModels: (await keyLimitsOwner(tx, keyId))?.allowedModels ?? null, caps: await capsOf(tx, { keyId }) });
      const before = await limits();
      if (body.allowedModels !== undefined) await setAllowedModels(tx, keyId, body.allowedModels);
      if (body.caps) await setCaps(tx, { keyId }, body.caps);
      await audit({ action: 'api_key.limits', target: { type: 'api_key', id: keyId }, before, after: await limits() });
    });
    await keysChanged();
    res.json(await keyLimits(keyId));
  });

  r.get('/users/:id/limits', async (req, res) => {
    res.json(await userLimits(req.params.id));
  });

  r.patch('/users/:id/limits', async (req, res) => {
    const body = parse.user(req.body);
    const userId = req.params.id;
    if (!(await mapDbErrors(() => userExists(gw.db, userId)))) throw noUser(userId);
    await auditedWrite(gw, res, async (tx, audit) => {
      const before = { caps: await capsOf(tx, { userId }) };
      await setCaps(tx, { userId }, body.caps);
      await audit({ action: 'user.limits', target: { type: 'user', id: userId }, before, after: { caps: await capsOf(tx, { userId }) } });
    });
    await keysChanged();
    res.json(await userLimits(userId));
  });

  return r;
}
