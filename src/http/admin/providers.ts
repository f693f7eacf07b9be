import { Router } from 'express';
import { createProvider, deleteProvider, getProvider, listProviders, providerExists, updateProvider } from '../../config/repo/providers.js';
import { deleteProviderKey, insertProviderKey, updateProviderKey } from '../../config/repo/provider-keys.js';
import type { Gateway } from '../../gateway.js';
import { ProviderCreate, ProviderKeyCreate, ProviderKeyUpdate, ProviderUpdate, type ProviderKeyAdded } from '../../sdk/admin-api/index.js';
import { lastFour } from '../../store/secrets.js';
import { NotFoundError } from '../../errors.js';
import { mapDbErrors } from './db-errors.js';
import { testProviderConnection } from './provider-test.js';
import { bodyParser } from './schemas.js';

const parse = {
  providerCreate: bodyParser(ProviderCreate),
  providerUpdate: bodyParser(ProviderUpdate),
  keyCreate: bodyParser(ProviderKeyCreate),
  keyUpdate: bodyParser(ProviderKeyUpdate),
};

const noProvider = (id: string) => new NotFoundError(`No provider '${id}'.`);
const noKey = (id: string, keyId: string) => new NotFoundError(`No key ${keyId} on provider '${id}'.`);

export function providerRoutes(gw: Gateway, changed: () => Promise<void>): Router {
  const r = Router();

  r.get('/providers', async (_req, res) => {
    res.json({ data: await listProviders(gw.db) });
  });

  r.get('/providers/:id', async (req, res) => {
    const provider = await getProvider(gw.db, req.params.id);
    if (!provider) throw noProvider(req.params.id);
    res.json(provider);
  });

  r.post('/providers', async (req, res) => {
    const body = parse.providerCreate(req.body);
    const provider = await mapDbErrors(() => createProvider(gw.db, gw.secrets, body));
    await changed();
    res.status(201).json(provider);
  });

  r.patch('/providers/:id', async (req, res) => {
    const body = parse.providerUpdate(req.body);
    const provider = await mapDbErrors(() => updateProvider(gw.db, req.params.id, body));
    if (!provider) throw noProvider(req.params.id);
    await changed();
    res.json(provider);
  });

  r.delete('/providers/:id', async (req, res) => {
    if (!(await mapDbErrors(() => deleteProvider(gw.db, req.params.id), 'delete'))) throw noProvider(req.params.id);
    await changed();
    res.status(204).end();
  });

  r.post('/providers/:id/keys', async (req, res) => {
    const body = parse.keyCreate(req.body);
    if (!(await providerExists(gw.db, req.params.id))) throw noProvider(req.params.id);
    const id = await mapDbErrors(() => insertProviderKey(gw.db, gw.secrets, req.params.id, body));
    await changed();
    const added: ProviderKeyAdded = { id, label: body.label ?? '', last4: lastFour(body.secret), weight: body.weight ?? 1, enabled: body.enabled ?? true };
    res.status(201).json(added);
  });

  r.patch('/providers/:id/keys/:keyId', async (req, res) => {
    const body = parse.keyUpdate(req.body);
    if (!(await mapDbErrors(() => updateProviderKey(gw.db, gw.secrets, req.params.id, req.params.keyId, body)))) throw noKey(req.params.id, req.params.keyId);
    await changed();
    res.status(204).end();
  });

  r.delete('/providers/:id/keys/:keyId', async (req, res) => {
    if (!(await mapDbErrors(() => deleteProviderKey(gw.db, req.params.id, req.params.keyId), 'delete'))) throw noKey(req.params.id, req.params.keyId);
    await changed();
    res.status(204).end();
  });

  /** "Test connection": one cheap authenticated call per key, reported per key. */
  r.post('/providers/:id/test', async (req, res) => {
    const provider = gw.config.current.providers.get(req.params.id);
    if (!provider) throw noProvider(req.params.id);
    res.json(await testProviderConnection(gw.transport, provider));
  });

  return r;
}
