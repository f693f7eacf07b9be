import { Type, type Static } from '@sinclair/typebox';
import { BUDGET_PERIODS } from './budgets.js';
import { Credits, OneOf, OrNull, Timestamp } from './common.js';

/** Alerts (low balance, budget thresholds) and the signed webhooks they are delivered to: request bodies and answers. */

/**
 * How a delivery is signed: `x-tollgate-signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`,
 * `x-tollgate-timestamp: <unix seconds>`. A receiver recomputes it over the raw body and rejects old timestamps.
 */
export const WEBHOOK_SIGNATURE_HEADER = 'x-tollgate-signature';
export const WEBHOOK_TIMESTAMP_HEADER = 'x-tollgate-timestamp';
export const WEBHOOK_EVENT_HEADER = 'x-tollgate-event';
export const WEBHOOK_DELIVERY_HEADER = 'x-tollgate-delivery';

const Url = Type.String({ format: 'uri', pattern: '^https?://', maxLength: 2000, description: 'An http(s) URL.' });

export const WebhookCreate = Type.Object(
  { name: Type.Optional(Type.String({ maxLength: 200 })), url: Url, enabled: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
);
export type WebhookCreate = Static<typeof WebhookCreate>;
export const WebhookUpdate = Type.Partial(Type.Object({ name: Type.String({ maxLength: 200 }), url: Url, enabled: Type.Boolean() }), {
  additionalProperties: false,
  minProperties: 1,
});
export type WebhookUpdate = Static<typeof WebhookUpdate>;

export const Webhook = Type.Object({
  id: Type.String(),
  name: Type.String(),
  url: Type.String(),
  enabled: Type.Boolean(),
  /** The signing secret's last four characters (the secret itself is shown once). */
  secretLast4: Type.String(),
  createdAt: Timestamp,
});
export type Webhook = Static<typeof Webhook>;

/** A new webhook or a rotated secret: `secret` is shown this once. */
export const WebhookWithSecret = Type.Intersect([Webhook, Type.Object({ secret: Type.String() })]);
export type WebhookWithSecret = Static<typeof WebhookWithSecret>;

export const WebhookDelivery = Type.Object({
  id: Type.String(),
  webhookId: Type.String(),
  eventType: Type.String(),
  state: OneOf(['pending', 'delivered', 'failed']),
  attempts: Type.Integer(),
  lastStatus: OrNull(Type.Integer()),
  lastError: OrNull(Type.String()),
  nextAttemptAt: OrNull(Timestamp),
  createdAt: Timestamp,
  deliveredAt: OrNull(Timestamp),
  payload: Type.Unknown(),
});
export type WebhookDelivery = Static<typeof WebhookDelivery>;

export const AlertCreate = Type.Object(
  {
    webhookId: Type.String({ format: 'uuid' }),
    kind: OneOf(['low_balance', 'budget']),
    /** low_balance: the account whose balance is watched. */
    accountId: Type.Optional(Type.String({ format: 'uuid' })),
    /** budget: the key or the user whose cap is watched, and the cap's period. */
    keyId: Type.Optional(Type.String({ format: 'uuid' })),
    userId: Type.Optional(Type.String({ format: 'uuid' })),
    period: Type.Optional(OneOf(BUDGET_PERIODS)),
    /** budget: percentages of the cap spent (e.g. 50, 80, 100). */
    percents: Type.Optional(Type.Array(Type.Integer({ minimum: 1, maximum: 1000 }), { minItems: 1, maxItems: 10, uniqueItems: true })),
    /** low_balance: balances in credits; each fires when the balance falls below it. */
    below: Type.Optional(Type.Array(Credits, { minItems: 1, maxItems: 10, uniqueItems: true })),
  },
  { additionalProperties: false },
);
export type AlertCreate = Static<typeof AlertCreate>;

export const Alert = Type.Object({
  id: Type.String(),
  webhookId: Type.String(),
  kind: OneOf(['low_balance', 'budget']),
  accountId: OrNull(Type.String()),
  keyId: OrNull(Type.String()),
  userId: OrNull(Type.String()),
  period: OrNull(OneOf(BUDGET_PERIODS)),
  /** What is watched, in words: the account's name, the user's email, or the key's prefix and name. */
  subject: Type.String(),
  /** budget: percentages; low_balance: credits. */
  thresholds: Type.Array(Type.String()),
  createdAt: Timestamp,
});
export type Alert = Static<typeof Alert>;
