import { Router } from 'express';
import { insertApiKey, listUserApiKeys, revokeApiKey } from '../../auth/api-key-store.js';
import { createUser, getUser, listUsers, updateUser, userExists } from '../../auth/users.js';
import { creditsToMicros, ZERO } from '../../credits/money.js';
import type { Gateway } from '../../gateway.js';
import { ApiKeyCreate, UserCreate, UserUpdate } from '../../sdk/admin-api/index.js';
import { InvalidRequestError, NotFoundError } from '../../errors.js';
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
    res.status(201).json(await mapDbErrors(() => createUser(gw.db, { ...body, initialCredits })));
  });

  r.patch('/users/:id', async (req, res) => {
    const body = parse.update(req.body);
    const user = await mapDbErrors(() => updateUser(gw.db, req.params.id, body));
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
    const created = await insertApiKey(gw.db, req.params.id, body.name ?? '', body.expiresAt ?? null);
    res.setHeader('cache-control', 'no-store');
    res.status(201).json(created);
  });

  /** Revokes a key (kept for the record; it never authenticates again). */
  r.delete('/keys/:id', async (req, res) => {
    if (!(await mapDbErrors(() => revokeApiKey(gw.db, req.params.id)))) throw new NotFoundError(`No API key '${req.params.id}'.`);
    await keysChanged();
    res.status(204).end();
  });

  return r;
}
