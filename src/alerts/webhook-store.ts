import { randomUUID } from 'node:crypto';
import type { Webhook, WebhookCreate, WebhookDelivery, WebhookUpdate, WebhookWithSecret } from '../sdk/admin-api/index.js';
import type { Queryable } from '../store/db.js';
import { lastFour, type SecretBox } from '../store/secrets.js';
import { isoTime, setClause } from '../store/sql.js';
import { generateWebhookSecret, webhookSecretContext } from './signature.js';

/** Webhook targets and their delivery log, as the admin API reads and writes them (migration 0010). */

const WEBHOOK_COLUMNS = `w.id, w.name, w.url, w.enabled, w.secret_last4 AS "secretLast4", ${isoTime('w.created_at')} AS "createdAt"`;

export async function listWebhooks(db: Queryable): Promise<Webhook[]> {
  return (await db.query<Webhook>(`SELECT ${WEBHOOK_COLUMNS} FROM webhooks w ORDER BY w.created_at DESC`)).rows;
}

export async function getWebhook(db: Queryable, id: string): Promise<Webhook | undefined> {
  return (await db.query<Webhook>(`SELECT ${WEBHOOK_COLUMNS} FROM webhooks w WHERE w.id = $1`, [id])).rows[0];
}

/** A new webhook with a generated signing secret, stored sealed; the answer is the only time it is shown. */
export async function createWebhook(db: Queryable, secrets: SecretBox, body: WebhookCreate): Promise<WebhookWithSecret> {
  const id = randomUUID();
  const secret = generateWebhookSecret();
  await db.query('INSERT INTO webhooks (id, name, url, enabled, secret_encrypted, secret_last4) VALUES ($1, $2, $3, $4, $5, $6)', [
    id,
    body.name ?? '',
    body.url,
    body.enabled ?? true,
    secrets.seal(secret, webhookSecretContext(id)),
    lastFour(secret),
  ]);
  return { ...(await getWebhook(db, id))!, secret };
}

/** A new signing secret in place of the old one (which stops verifying at once); shown once. */
export async function rotateWebhookSecret(db: Queryable, secrets: SecretBox, id: string): Promise<WebhookWithSecret | undefined> {
  const secret = generateWebhookSecret();
  const { rowCount } = await db.query('UPDATE webhooks SET secret_encrypted = $2, secret_last4 = $3 WHERE id = $1', [id, secrets.seal(secret, webhookSecretContext(id)), lastFour(secret)]);
  return rowCount ? { ...(await getWebhook(db, id))!, secret } : undefined;
}

export async function updateWebhook(db: Queryable, id: string, patch: WebhookUpdate): Promise<Webhook | undefined> {
  const set = setClause(patch, { name: 'name', url: 'url', enabled: 'enabled' }, 2);
  const { rowCount } = await db.query(`UPDATE webhooks SET ${set.sql} WHERE id = $1`, [id, ...set.values]);
  return rowCount ? getWebhook(db, id) : undefined;
}

/** Deletes a webhook with its alerts and delivery log; false if there is none. */
export async function deleteWebhook(db: Queryable, id: string): Promise<boolean> {
  return (await db.query('DELETE FROM webhooks WHERE id = $1', [id])).rowCount > 0;
}

/** A delivery as the admin API shows it, from a row of webhook_deliveries named d. */
export const DELIVERY_COLUMNS = `d.id::text, d.webhook_id AS "webhookId", d.event_type AS "eventType", d.state, d.attempts, d.last_status AS "lastStatus",
            d.last_error AS "lastError", CASE WHEN d.state = 'pending' THEN ${isoTime('d.next_attempt_at')} END AS "nextAttemptAt",
            ${isoTime('d.created_at')} AS "createdAt", ${isoTime('d.delivered_at')} AS "deliveredAt", d.payload`;

const DELIVERY_SELECT = `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries d`;

/** A webhook's deliveries, newest first. */
export async function listDeliveries(db: Queryable, webhookId: string, limit: number): Promise<WebhookDelivery[]> {
  return (await db.query<WebhookDelivery>(`${DELIVERY_SELECT} WHERE d.webhook_id = $1 ORDER BY d.id DESC LIMIT $2`, [webhookId, limit])).rows;
}


/**
 * Re-seals every webhook secret not under the keyring's current key (ENCRYPTION_KEY rotation, as
 * for provider keys). Runs on start; returns how many it re-sealed.
 */
export async function resealWebhookSecrets(db: Queryable, secrets: SecretBox): Promise<number> {
  const { rows } = await db.query<{ id: string; secret_encrypted: string }>('SELECT id, secret_encrypted FROM webhooks ORDER BY id');
  let resealed = 0;
  for (const row of rows) {
    if (secrets.isCurrent(row.secret_encrypted)) continue;
    const context = webhookSecretContext(row.id);
    const sealed = secrets.seal(secrets.open(row.secret_encrypted, context), context);
    // Compare-and-set: a secret rotated meanwhile through the admin API is kept.
    const { rowCount } = await db.query('UPDATE webhooks SET secret_encrypted = $3 WHERE id = $1 AND secret_encrypted = $2', [row.id, row.secret_encrypted, sealed]);
    resealed += rowCount;
  }
  return resealed;
}
