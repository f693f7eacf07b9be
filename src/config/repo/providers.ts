import { adapterFor } from '../../providers/registry.js';
import type { Provider, ProviderCreate, ProviderUpdate } from '../../sdk/admin-api/index.js';
import type { Queryable } from '../../store/db.js';
import type { SecretBox } from '../../store/secrets.js';
import { isoTime, setClause } from '../../store/sql.js';
import { insertProviderKey } from './provider-keys.js';

/**
 * Providers: the one place that writes them (the seed and the admin API both come here) and the
 * admin API's reads. Keys are in provider-keys.ts.
 */

const PROVIDER_COLUMNS = {
  name: 'name',
  baseUrl: 'base_url',
  enabled: 'enabled',
  connectTimeoutMs: 'connect_timeout_ms',
  firstByteTimeoutMs: 'first_byte_timeout_ms',
  totalTimeoutMs: 'total_timeout_ms',
};

const PROVIDER_SELECT = `SELECT p.id, p.kind, p.name, p.base_url AS "baseUrl", p.enabled,
  p.connect_timeout_ms AS "connectTimeoutMs", p.first_byte_timeout_ms AS "firstByteTimeoutMs", p.total_timeout_ms AS "totalTimeoutMs",
  ${isoTime('p.created_at')} AS "createdAt", ${isoTime('p.updated_at')} AS "updatedAt",
  COALESCE((SELECT json_agg(json_build_object('id', k.id::text, 'label', k.label, 'last4', k.last4, 'weight', k.weight,
      'enabled', k.enabled, 'rpmLimit', k.rpm_limit, 'tpmLimit', k.tpm_limit, 'createdAt', ${isoTime('k.created_at')}) ORDER BY k.id)
    FROM provider_keys k WHERE k.provider_id = p.id), '[]') AS keys
  FROM providers p`;

/** Inserts a provider and its keys; name and base URL default to the provider kind's. */
export async function insertProvider(db: Queryable, secrets: SecretBox, p: ProviderCreate): Promise<void> {
  const adapter = adapterFor(p.kind);
  await db.query(
    `INSERT INTO providers (id, kind, name, base_url, enabled, connect_timeout_ms, first_byte_timeout_ms, total_timeout_ms)
     VALUES ($1, $2, $3, $4, COALESCE($5, true), COALESCE($6, 5000), COALESCE($7, 60000), COALESCE($8, 600000))`,
    [p.id, p.kind, p.name ?? adapter.displayName, p.baseUrl ?? adapter.defaultBaseUrl, p.enabled, p.connectTimeoutMs, p.firstByteTimeoutMs, p.totalTimeoutMs],
  );
  for (const k of p.keys ?? []) await insertProviderKey(db, secrets, p.id, k);
}

/** Creates a provider with its keys and returns it as the admin API shows it; run it in a transaction. */
export async function createProvider(db: Queryable, secrets: SecretBox, p: ProviderCreate): Promise<Provider> {
  await insertProvider(db, secrets, p);
  return (await getProvider(db, p.id))!;
}

/** Changes the fields present; undefined if there is no such provider. */
export async function updateProvider(db: Queryable, id: string, patch: ProviderUpdate): Promise<Provider | undefined> {
  const set = setClause(patch, PROVIDER_COLUMNS, 2);
  const { rowCount } = await db.query(`UPDATE providers SET ${set.sql}, updated_at = now() WHERE id = $1`, [id, ...set.values]);
  return rowCount ? getProvider(db, id) : undefined;
}

export async function deleteProvider(db: Queryable, id: string): Promise<boolean> {
  return (await db.query('DELETE FROM providers WHERE id = $1', [id])).rowCount > 0;
}

export async function providerExists(db: Queryable, id: string): Promise<boolean> {
  return (await db.query('SELECT 1 FROM providers WHERE id = $1', [id])).rowCount > 0;
}

export async function listProviders(db: Queryable): Promise<Provider[]> {
  return (await db.query<Provider>(`${PROVIDER_SELECT} ORDER BY p.id`)).rows;
}

export async function getProvider(db: Queryable, id: string): Promise<Provider | undefined> {
  return (await db.query<Provider>(`${PROVIDER_SELECT} WHERE p.id = $1`, [id])).rows[0];
}

/** Enabled providers that have no enabled key (what the first-start banner warns about). */
export async function providersWithoutKeys(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    'SELECT p.id FROM providers p WHERE p.enabled AND NOT EXISTS (SELECT 1 FROM provider_keys k WHERE k.provider_id = p.id AND k.enabled) ORDER BY p.id',
  );
  return rows.map((r) => r.id);
}
