import { Router } from 'express';
import { createProvider, deleteProvider, getProvider, listProviders, providerExists, updateProvider } from '../../config/repo/providers.js';
import { deleteProviderKey, insertProviderKey, updateProviderKey } from '../../config/repo/provider-keys.js';
import type { Gateway } from '../../gateway.js';
import { ProviderCreate, ProviderKeyCreate, ProviderKeyUpdate, ProviderUpdate, type ProviderKeyAdded } from '../../sdk/admin-api/index.js';
import { lastFour } from '../../store/secrets.js';
import { NotFoundError } from '../../errors.js';
import type { Queryable } from '../../store/db.js';
import { auditedWrite } from './audited.js';
import { testProviderConnection } from './provider-test.js';
import { bodyParser } from './schemas.js';

const parse = {
  providerCreate: bodyParser(ProviderCreate),
  providerUpdate: bodyParser(ProviderUpdate),
  keyCreate: bodyParser(ProviderKeyCreate),
  keyUpdate: bodyParser(ProviderKeyUpdate),
};

const noProvider = (id: string) => new NotFoundError(`No provider '${id}'.`);
/** A provider key as listings show it (label, last four, settings; never the secret). */
const keyOf = async (db: Queryable, id: string, keyId: string) => (await getProvider(db, id))?.keys.find((k) => k.id === keyId);
const keyTarget = (id: string, keyId: string) => ({ type: 'provider_key', id: `${id}/${keyId}` });
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
    const provider = await auditedWrite(gw, res, async (tx, audit) => {
      const after = await createProvider(tx, gw.secrets, body);
      await audit({ action: 'provider.create', target: { type: 'provider', id: after.id }, after });
      return after;
    });
    await changed();
    res.status(201).json(provider);
  });

  r.patch('/providers/:id', async (req, res) => {
    const body = parse.providerUpdate(req.body);
    const provider = await auditedWrite(gw, res, async (tx, audit) => {
      const before = await getProvider(tx, req.params.id);
      const after = before && (await updateProvider(tx, req.params.id, body));
      if (after) await audit({ action: 'provider.update', target: { type: 'provider', id: after.id }, before, after });
      return after;
    });
    if (!provider) throw noProvider(req.params.id);
    await changed();
    res.json(provider);
  });

  r.delete('/providers/:id', async (req, res) => {
    const deleted = await auditedWrite(
      gw,
      res,
      async (tx, audit) => {
        const before = await getProvider(tx, req.params.id);
        if (before && (await deleteProvider(tx, req.params.id))) await audit({ action: 'provider.delete', target: { type: 'provider', id: before.id }, before });
        return before;
      },
      'delete',
    );
    if (!deleted) throw noProvider(req.params.id);
    await changed();
    res.status(204).end();
  });

  r.post('/providers/:id/keys', async (req, res) => {
    const body = parse.keyCreate(req.body);
    if (!(await providerExists(gw.db, req.params.id))) throw noProvider(req.params.id);
    const added = await auditedWrite(gw, res, async (tx, audit) => {
      const id = await insertProviderKey(tx, gw.secrets, req.params.id, body);
      await audit({ action: 'provider_key.create', target: keyTarget(req.params.id, id), after: await keyOf(tx, req.params.id, id) });
      const key: ProviderKeyAdded = { id, label: body.label ?? '', last4: lastFour(body.secret), weight: body.weight ?? 1, enabled: body.enabled ?? true };
      return key;
    });
    await changed();
    res.status(201).json(added);
  });

  r.patch('/providers/:id/keys/:keyId', async (req, res) => {
    const body = parse.keyUpdate(req.body);
    const updated = await auditedWrite(gw, res, async (tx, audit) => {
      const { id, keyId } = req.params;
      const before = await keyOf(tx, id, keyId);
      if (!before || !(await updateProviderKey(tx, gw.secrets, id, keyId, body))) return false;
      const after = await keyOf(tx, id, keyId);
      await audit({ action: 'provider_key.update', target: keyTarget(id, keyId), before, after: body.secret !== undefined ? { ...after, secretRotated: true } : after });
      return true;
    });
    if (!updated) throw noKey(req.params.id, req.params.keyId);
    await changed();
    res.status(204).end();
  });

  r.delete('/providers/:id/keys/:keyId', async (req, res) => {
    const deleted = await auditedWrite(
      gw,
      res,
      async (tx, audit) => {
        const { id, keyId } = req.params;
        const before = await keyOf(tx, id, keyId);
        if (before && (await deleteProviderKey(tx, id, keyId))) await audit({ action: 'provider_key.delete', target: keyTarget(id, keyId), before });
        return before;
      },
      'delete',
    );
    if (!deleted) throw noKey(req.params.id, req.params.keyId);
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
