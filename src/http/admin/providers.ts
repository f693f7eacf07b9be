import { Router } from 'express';
import type { Gateway } from '../../gateway.js';
import { adapterFor } from '../../providers/registry.js';
import { lastFour } from '../../store/secrets.js';
import { NotFoundError } from '../../errors.js';
import { mapDbErrors } from './db-errors.js';
import { checkBody } from './schemas.js';
import type { ProviderKind } from '../../config/catalogue.js';

interface ProviderKeyInput {
  secret: string;
  label?: string;
  weight?: number;
  enabled?: boolean;
  rpmLimit?: number | null;
  tpmLimit?: number | null;
}
interface ProviderInput {
  id: string;
  kind: ProviderKind;
  name?: string;
  baseUrl?: string;
  enabled?: boolean;
  connectTimeoutMs?: number;
  firstByteTimeoutMs?: number;
  totalTimeoutMs?: number;
  keys?: ProviderKeyInput[];
}

const PROVIDER_COLUMNS: Record<string, string> = {
  name: 'name',
  baseUrl: 'base_url',
  enabled: 'enabled',
  connectTimeoutMs: 'connect_timeout_ms',
  firstByteTimeoutMs: 'first_byte_timeout_ms',
  totalTimeoutMs: 'total_timeout_ms',
};
const KEY_COLUMNS: Record<string, string> = { label: 'label', weight: 'weight', enabled: 'enabled', rpmLimit: 'rpm_limit', tpmLimit: 'tpm_limit' };

/** Builds "col1 = $2, col2 = $3" from the fields present in body (names come from a fixed map, values are parameters). */
export function setClause(body: Record<string, unknown>, columns: Record<string, string>, firstParam: number): { sql: string; values: unknown[] } {
  const parts: string[] = [];
  const values: unknown[] = [];
  for (const [field, column] of Object.entries(columns)) {
    if (body[field] === undefined) continue;
    values.push(body[field]);
    parts.push(`${column} = $${firstParam + values.length - 1}`);
  }
  return { sql: parts.join(', '), values };
}

const PROVIDER_SELECT = `SELECT p.id, p.kind, p.name, p.base_url AS "baseUrl", p.enabled,
  p.connect_timeout_ms AS "connectTimeoutMs", p.first_byte_timeout_ms AS "firstByteTimeoutMs", p.total_timeout_ms AS "totalTimeoutMs",
  p.created_at AS "createdAt", p.updated_at AS "updatedAt",
  COALESCE((SELECT json_agg(json_build_object('id', k.id::text, 'label', k.label, 'last4', k.last4, 'weight', k.weight,
      'enabled', k.enabled, 'rpmLimit', k.rpm_limit, 'tpmLimit', k.tpm_limit, 'createdAt', k.created_at) ORDER BY k.id)
    FROM provider_keys k WHERE k.provider_id = p.id), '[]') AS keys
  FROM providers p`;

function timeoutController(ms: number): AbortController {
  const c = new AbortController();
  setTimeout(() => c.abort(), ms).unref();
  return c;
}

export function providerRoutes(gw: Gateway, changed: () => Promise<void>): Router {
  const r = Router();

  r.get('/providers', async (_req, res) => {
    const { rows } = await gw.db.query(`${PROVIDER_SELECT} ORDER BY p.id`);
    res.json({ data: rows });
  });

  r.get('/providers/:id', async (req, res) => {
    const { rows } = await gw.db.query(`${PROVIDER_SELECT} WHERE p.id = $1`, [req.params.id]);
    if (!rows[0]) throw new NotFoundError(`No provider '${req.params.id}'.`);
    res.json(rows[0]);
  });

  r.post('/providers', async (req, res) => {
    const b = checkBody<ProviderInput>('providerCreate', req.body);
    const adapter = adapterFor(b.kind);
    await mapDbErrors(() =>
      gw.db.transaction(async (tx) => {
        await tx.query(
          `INSERT INTO providers (id, kind, name, base_url, enabled, connect_timeout_ms, first_byte_timeout_ms, total_timeout_ms)
           VALUES ($1, $2, $3, $4, COALESCE($5, true), COALESCE($6, 5000), COALESCE($7, 60000), COALESCE($8, 600000))`,
          [b.id, b.kind, b.name ?? adapter.displayName, b.baseUrl ?? adapter.defaultBaseUrl, b.enabled, b.connectTimeoutMs, b.firstByteTimeoutMs, b.totalTimeoutMs],
        );
        for (const k of b.keys ?? []) await insertKey(gw, tx, b.id, k);
      }),
    );
    await changed();
    const { rows } = await gw.db.query(`${PROVIDER_SELECT} WHERE p.id = $1`, [b.id]);
    res.status(201).json(rows[0]);
  });

  r.patch('/providers/:id', async (req, res) => {
    const b = checkBody<Record<string, unknown>>('providerUpdate', req.body);
    const set = setClause(b, PROVIDER_COLUMNS, 2);
    const { rowCount } = await mapDbErrors(() => gw.db.query(`UPDATE providers SET ${set.sql}, updated_at = now() WHERE id = $1`, [req.params.id, ...set.values]));
    if (!rowCount) throw new NotFoundError(`No provider '${req.params.id}'.`);
    await changed();
    const { rows } = await gw.db.query(`${PROVIDER_SELECT} WHERE p.id = $1`, [req.params.id]);
    res.json(rows[0]);
  });

  r.delete('/providers/:id', async (req, res) => {
    const { rowCount } = await mapDbErrors(() => gw.db.query('DELETE FROM providers WHERE id = $1', [req.params.id]), 'delete');
    if (!rowCount) throw new NotFoundError(`No provider '${req.params.id}'.`);
    await changed();
    res.status(204).end();
  });

  r.post('/providers/:id/keys', async (req, res) => {
    const b = checkBody<ProviderKeyInput>('providerKeyCreate', req.body);
    const exists = await gw.db.query('SELECT 1 FROM providers WHERE id = $1', [req.params.id]);
    if (!exists.rowCount) throw new NotFoundError(`No provider '${req.params.id}'.`);
    const id = await mapDbErrors(() => insertKey(gw, gw.db, req.params.id, b));
    await changed();
    res.status(201).json({ id, label: b.label ?? '', last4: lastFour(b.secret), weight: b.weight ?? 1, enabled: b.enabled ?? true });
  });

  r.patch('/providers/:id/keys/:keyId', async (req, res) => {
    const b = checkBody<ProviderKeyInput & Record<string, unknown>>('providerKeyUpdate', req.body);
    const set = setClause(b, KEY_COLUMNS, 3);
    const parts = set.sql ? [set.sql] : [];
    const values = [...set.values];
    if (b.secret !== undefined) {
      // Rotating a key: the new secret replaces the old one in place (same id, same limits).
      values.push(gw.secrets.seal(b.secret), lastFour(b.secret));
      parts.push(`secret_encrypted = $${values.length + 1}`, `last4 = $${values.length + 2}`);
    }
    const { rowCount } = await mapDbErrors(() =>
      gw.db.query(`UPDATE provider_keys SET ${parts.join(', ')}, updated_at = now() WHERE provider_id = $1 AND id = $2::bigint`, [req.params.id, req.params.keyId, ...values]),
    );
    if (!rowCount) throw new NotFoundError(`No key ${req.params.keyId} on provider '${req.params.id}'.`);
    await changed();
    res.status(204).end();
  });

  r.delete('/providers/:id/keys/:keyId', async (req, res) => {
    const { rowCount } = await mapDbErrors(() => gw.db.query('DELETE FROM provider_keys WHERE provider_id = $1 AND id = $2::bigint', [req.params.id, req.params.keyId]));
    if (!rowCount) throw new NotFoundError(`No key ${req.params.keyId} on provider '${req.params.id}'.`);
    await changed();
    res.status(204).end();
  });

  /** "Test connection": one cheap authenticated call per key, reported per key. */
  r.post('/providers/:id/test', async (req, res) => {
    const provider = gw.config.current.providers.get(req.params.id);
    if (!provider) throw new NotFoundError(`No provider '${req.params.id}'.`);
    const adapter = adapterFor(provider.kind);
    const results = await Promise.all(
      provider.keys.map(async (key) => {
        const t0 = performance.now();
        try {
          const up = await gw.transport.send(provider, adapter.connectionCheck({ provider, key }), timeoutController(15_000));
          const text = await up.body.text();
          const ok = up.status < 400;
          return {
            keyId: key.id,
            last4: key.last4,
            ok,
            status: up.status,
            latencyMs: Math.round(performance.now() - t0),
            error: ok ? null : adapter.parseError(up.status, text, up.headers).message,
          };
        } catch (err) {
          return { keyId: key.id, last4: key.last4, ok: false, status: 0, latencyMs: Math.round(performance.now() - t0), error: (err as Error).message };
        }
      }),
    );
    res.json({ provider: provider.id, ok: results.length > 0 && results.every((r) => r.ok), keys: results });
  });

  return r;
}

async function insertKey(gw: Gateway, db: Gateway['db'] | { query: Gateway['db']['query'] }, providerId: string, k: ProviderKeyInput): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO provider_keys (provider_id, label, secret_encrypted, last4, weight, enabled, rpm_limit, tpm_limit)
     VALUES ($1, $2, $3, $4, COALESCE($5, 1), COALESCE($6, true), $7, $8) RETURNING id::text AS id`,
    [providerId, k.label ?? '', gw.secrets.seal(k.secret), lastFour(k.secret), k.weight, k.enabled, k.rpmLimit ?? null, k.tpmLimit ?? null],
  );
  return rows[0]!.id;
}
