import { Type, type Static } from '@sinclair/typebox';
import { Credits, Micros, OneOf, OrNull, Timestamp } from './common.js';

/** Spend caps (budgets) of API keys and users, and a key's model allowlist: request bodies and answers. */

export const BUDGET_PERIODS = ['day', 'month', 'lifetime'] as const;
export type BudgetPeriod = (typeof BUDGET_PERIODS)[number];

/** A cap in credits (not negative); null removes it; absent leaves it as it is. */
const Cap = Type.Optional(OrNull(Type.String({ pattern: '^[0-9]{1,12}(\\.[0-9]{1,6})?$', description: 'A cap in credits (up to 6 decimals); null removes it.' })));

/** Caps per UTC day, UTC calendar month and lifetime. */
export const BudgetCaps = Type.Object({ day: Cap, month: Cap, lifetime: Cap }, { additionalProperties: false, minProperties: 1 });
export type BudgetCaps = Static<typeof BudgetCaps>;

export const KeyLimitsUpdate = Type.Object(
  {
    caps: Type.Optional(BudgetCaps),
    /** Model aliases this key may call; null: every model. */
    allowedModels: Type.Optional(
      OrNull(Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 500, uniqueItems: true, description: 'Model aliases this key may call; null: every model.' })),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type KeyLimitsUpdate = Static<typeof KeyLimitsUpdate>;

export const UserLimitsUpdate = Type.Object({ caps: BudgetCaps }, { additionalProperties: false });
export type UserLimitsUpdate = Static<typeof UserLimitsUpdate>;

/** One cap with what its current period has spent and what requests in flight have reserved. */
export const BudgetUsage = Type.Object({
  scope: OneOf(['key', 'user']),
  period: OneOf(BUDGET_PERIODS),
  limit: Credits,
  spent: Credits,
  reserved: Credits,
  /** What is left of the cap: limit − spent − reserved (never below zero). */
  remaining: Credits,
  limitMicros: Micros,
  spentMicros: Micros,
  reservedMicros: Micros,
  /** The period's first day (UTC); 1970-01-01 for lifetime. */
  periodStart: Type.String({ format: 'date' }),
  /** When the period ends and the cap starts afresh; null for lifetime. */
  resetsAt: OrNull(Timestamp),
});
export type BudgetUsage = Static<typeof BudgetUsage>;

export const KeyLimits = Type.Object({
  keyId: Type.String(),
  allowedModels: OrNull(Type.Array(Type.String())),
  /** The key's own caps, then its user's (both apply to the key's requests). */
  budgets: Type.Array(BudgetUsage),
});
export type KeyLimits = Static<typeof KeyLimits>;

export const UserLimits = Type.Object({ userId: Type.String(), budgets: Type.Array(BudgetUsage) });
export type UserLimits = Static<typeof UserLimits>;
