import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebhook, resealWebhookSecrets } from '../../src/alerts/webhook-store.js';
import { webhookSecretContext } from '../../src/alerts/signature.js';
import type { PgliteDb } from '../../src/store/pglite.js';
import { SecretBox } from '../../src/store/secrets.js';
import { openEmbedded, PGLITE_DEADLINE_MS } from '../helpers/embedded.js';

/** Webhook signing secrets follow an ENCRYPTION_KEY rotation like provider keys: re-sealed at start under the new key. */

let db: PgliteDb;
beforeAll(async () => {
  db = await openEmbedded();
}, PGLITE_DEADLINE_MS);
afterAll(async () => db?.close());

describe('webhook secrets and ENCRYPTION_KEY rotation', () => {
  it('are sealed to their row, re-sealed under the new key, and then open without the old one', async () => {
    const k1 = SecretBox.generateKey();
    const k2 = SecretBox.generateKey();
    const old = new SecretBox(`one:${k1}`);
    const hook = await createWebhook(db, old, { url: 'https://example.test/hook' });
    const sealed = async () => (await db.query<{ s: string }>('SELECT secret_encrypted AS s FROM webhooks WHERE id = $1', [hook.id])).rows[0]!.s;
    expect(await sealed()).not.toContain(hook.secret);
    const ciphertext = await sealed();
    expect(() => old.open(ciphertext, webhookSecretContext('another-row'))).toThrow();
    expect(old.open(await sealed(), webhookSecretContext(hook.id))).toBe(hook.secret);

    const rotated = new SecretBox(`two:${k2},one:${k1}`);
    expect(await resealWebhookSecrets(db, rotated)).toBe(1);
    expect(await resealWebhookSecrets(db, rotated)).toBe(0);
    expect(new SecretBox(`two:${k2}`).open(await sealed(), webhookSecretContext(hook.id))).toBe(hook.secret);
  });
});
