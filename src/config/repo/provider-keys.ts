import type { ProviderKeyCreate, ProviderKeyUpdate } from '../../sdk/admin-api/index.js';
import type { Queryable } from '../../store/db.js';
import { lastFour, providerKeyContext, type SecretBox } from '../../store/secrets.js';
import { setClause } from '../../store/sql.js';

const KEY_COLUMNS = { label: 'label', weight: 'weight', enabled: 'enabled', rpmLimit: 'rpm_limit', tpmLimit: 'tpm_limit' };

/**
 * Adds a provider key. Its id is drawn first because the ciphertext is bound to the row
 * (provider id + key id as associated data). Returns the new key's id.
 */
export async function insertProviderKey(db: Queryable, secrets: SecretBox, providerId: string, k: ProviderKeyCreate): Promise<string> {
  const { rows } = await db.query<{ id: string }>(`SELECT nextval(pg_get_serial_sequence('provider_keys', 'id'))::text AS id`);
  const id = rows[0]!.id;
  await db.query(
    `INSERT INTO provider_keys (id, provider_id, label, secret_encrypted, last4, weight, enabled, rpm_limit, tpm_limit)
     OVERRIDING SYSTEM VALUE VALUES ($1::bigint, $2, $3, $4, $5, COALESCE($6, 1), COALESCE($7, true), $8, $9)`,
    [id, providerId, k.label ?? '', secrets.seal(k.secret, providerKeyContext(providerId, id)), lastFour(k.secret), k.weight, k.enabled, k.rpmLimit ?? null, k.tpmLimit ?? null],
  );
  return id;
}

/** Changes a key's settings; a new `secret` rotates it in place (same id, same limits). False if there is no such key. */
export async function updateProviderKey(db: Queryable, secrets: SecretBox, providerId: string, keyId: string, patch: ProviderKeyUpdate): Promise<boolean> {
  const set = setClause(patch, KEY_COLUMNS, 3);
  const parts = set.sql ? [set.sql] : [];
  const values = [...set.values];
  if (patch.secret !== undefined) {
    values.push(secrets.seal(patch.secret, providerKeyContext(providerId, keyId)), lastFour(patch.secret));
    parts.push(`secret_encrypted = $${values.length + 1}`, `last4 = $${values.length + 2}`);
  }
  const { rowCount } = await db.query(`UPDATE provider_keys SET ${parts.join(', ')}, updated_at = now() WHERE provider_id = $1 AND id = $2::bigint`, [
    providerId,
    keyId,
    ...values,
  ]);
  return rowCount > 0;
}

export async function deleteProviderKey(db: Queryable, providerId: string, keyId: string): Promise<boolean> {
  const { rowCount } = await db.query('DELETE FROM provider_keys WHERE provider_id = $1 AND id = $2::bigint', [providerId, keyId]);
  return rowCount > 0;
}

/** The key with this label, decrypted (used for keys that come from the environment). */
export async function findProviderKeyByLabel(db: Queryable, secrets: SecretBox, providerId: string, label: string): Promise<{ id: string; secret: string } | undefined> {
  const { rows } = await db.query<{ id: string; secret_encrypted: string }>(
    'SELECT id::text AS id, secret_encrypted FROM provider_keys WHERE provider_id = $1 AND label = $2 ORDER BY id LIMIT 1',
    [providerId, label],
  );
  const row = rows[0];
  return row && { id: row.id, secret: secrets.open(row.secret_encrypted, providerKeyContext(providerId, row.id)) };
}

/**
 * Re-seals every provider key that is not under the keyring's current key (or still in the v1
 * form without row binding). Runs on start; returns how many keys it re-sealed.
 */
export async function resealProviderKeys(db: Queryable, secrets: SecretBox): Promise<number> {
  const { rows } = await db.query<{ id: string; provider_id: string; secret_encrypted: string }>(
    'SELECT id::text AS id, provider_id, secret_encrypted FROM provider_keys ORDER BY id',
  );
  let resealed = 0;
  for (const row of rows) {
    if (secrets.isCurrent(row.secret_encrypted)) continue;
    const context = providerKeyContext(row.provider_id, row.id);
    const sealed = secrets.seal(secrets.open(row.secret_encrypted, context), context);
    // Compare-and-set: a key rotated meanwhile through the admin API keeps its new secret.
    const { rowCount } = await db.query('UPDATE provider_keys SET secret_encrypted = $3 WHERE id = $1::bigint AND secret_encrypted = $2', [
      row.id,
      row.secret_encrypted,
      sealed,
    ]);
    resealed += rowCount;
  }
  return resealed;
}
