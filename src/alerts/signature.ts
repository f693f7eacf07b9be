import { createHmac, randomBytes } from 'node:crypto';

/** Webhook signing secrets and signatures (the scheme: src/sdk/admin-api/alerts.ts). */

export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

/** `v1=` + hex HMAC-SHA256 over "<timestamp>.<body>": the timestamp is signed too, so a captured delivery cannot be replayed later as new. */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** The associated data a webhook's secret is sealed with: it opens only in its own row. */
export function webhookSecretContext(webhookId: string): string {
  return `webhook:${webhookId}`;
}
