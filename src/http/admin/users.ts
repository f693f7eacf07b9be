import { Router } from 'express';
import { getApiKey, insertApiKey, listUserApiKeys, revokeApiKey } from '../../auth/api-key-store.js';
import { createUser, getUser, listUsers, updateUser, userExists } from '../../auth/users.js';
import { creditsToMicros, ZERO } from '../../credits/money.js';
import type { Gateway } from '../../gateway.js';
import { ApiKeyCreate, UserCreate, UserUpdate } from '../../sdk/admin-api/index.js';
import { InvalidRequestError, NotFoundError } from '../../errors.js';
import { actorOf } from './auth.js';
import { auditedWrite } from './audited.js';
import { mapDbErrors } from './db-errors.js';
import { bodyParser } from './schemas.js';

const parse = { create: bodyParser(UserCreate), update: bodyParser(UserUpdate), keyCreate: bodyParser(ApiKeyCreate) };
const noUser = (id: string) => new NotFoundError(`No user '${id}'.`);

export function userRoutes(gw: Gateway, keysChanged: () => Promise<void>): Router {
  const r = Router();

  r.get('/users', async (req, res) => {
    res.json({ data: await listUsers(gw.db, typeof req.query.q === 'string' ? req.query.q : '') });
  });

  r.get('/users/:id', async (req, res) => {
    const user = await mapDbErrors(() => getUser(gw.db, req.params.id));
    if (!user) throw noUser(req.params.id);
    res.json(user);
  });

  r.post('/users', async (req, res) => {
    const body = parse.create(req.body);
    const initialCredits = body.initialCredits !== undefined ? creditsToMicros(body.initialCredits) : ZERO;
    if (initialCredits < 0n) throw new InvalidRequestError("'initialCredits' must not be negative.", { param: 'initialCredits', code: 'invalid_field' });
    const user = await auditedWrite(gw, res, async (tx, audit) => {
      const after = await createUser(tx, { ...body, initialCredits, actor: actorOf(res).label });
      await audit({ action: 'user.create', target: { type: 'user', id: after.id }, after });
      return after;
    });
    res.status(201).json(user);
  });

  r.patch('/users/:id', async (req, res) => {
    const body = parse.update(req.body);
    const user = await auditedWrite(gw, res, async (tx, audit) => {
      const before = await getUser(tx, req.params.id);
      const after = before && (await updateUser(tx, req.params.id, body));
      if (after) await audit({ action: 'user.update', target: { type: 'user', id: after.id }, before, after });
      return after;
    });
    if (!user) throw noUser(req.params.id);
    await keysChanged();
    res.json(user);
  });

  r.get('/users/:id/keys', async (req, res) => {
    res.json({ data: await mapDbErrors(() => listUserApiKeys(gw.db, req.params.id)) });
  });

  /** Creates a key. The response is the only time the secret is ever shown. */
  r.post('/users/:id/keys', async (req, res) => {
    const body = parse.keyCreate(req.body ?? {});
    if (!(await mapDbErrors(() => userExists(gw.db, req.params.id)))) throw noUser(req.params.id);
    const created = await auditedWrite(gw, res, async (tx, audit) => {
      const key = await insertApiKey(tx, req.params.id, body.name ?? '', body.expiresAt ?? null);
      const { key: _secret, ...shown } = key;
      await audit({ action: 'api_key.create', target: { type: 'api_key', id: key.id }, after: { ...shown, userId: req.params.id, expiresAt: body.expiresAt ?? null } });
      return key;
    });
    res.setHeader('cache-control', 'no-store');
    res.status(201).json(created);
  });

  /** Revokes a key (kept for the record; it never authenticates again). */
  r.delete('/keys/:id', async (req, res) => {
    const revoked = await auditedWrite(gw, res, async (tx, audit) => {
      const before = await getApiKey(tx, req.params.id);
      if (!before || !(await revokeApiKey(tx, req.params.id))) return false;
      await audit({ action: 'api_key.revoke', target: { type: 'api_key', id: before.id }, before, after: await getApiKey(tx, req.params.id) });
      return true;
    });
    if (!revoked) throw new NotFoundError(`No API key '${req.params.id}'.`);
    await keysChanged();
    res.status(204).end();
  });

  return r;
}
