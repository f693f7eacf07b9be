import { Type, type Static } from '@sinclair/typebox';
import { Credits, Micros, OneOf, OrNull, Slug, Timestamp } from './common.js';

/** Users, their API keys, accounts and the credit ledger: request bodies and answers. */

export const UserCreate = Type.Object(
  {
    email: Type.String({ format: 'email', maxLength: 254 }),
    name: Type.Optional(Type.String({ maxLength: 200 })),
    planId: Type.Optional(Slug),
    /** Join an existing account; omitted: a new account is opened. */
    accountId: Type.Optional(Type.String({ format: 'uuid', description: 'Join an existing account; omitted: a new account is opened.' })),
    accountName: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    /** Credits granted to the new account. */
    initialCredits: Type.Optional(Credits),
  },
  { additionalProperties: false },
);
export type UserCreate = Static<typeof UserCreate>;
export const UserUpdate = Type.Partial(Type.Object({ name: Type.String({ maxLength: 200 }), planId: Slug, disabled: Type.Boolean() }), {
  additionalProperties: false,
  minProperties: 1,
});
export type UserUpdate = Static<typeof UserUpdate>;

export const User = Type.Object({
  id: Type.String(),
  email: Type.String(),
  name: Type.String(),
  planId: Type.String(),
  disabled: Type.Boolean(),
  accountId: Type.String(),
  accountName: Type.String(),
  balanceMicros: Micros,
  heldMicros: Micros,
  activeKeys: Type.Integer(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type User = Static<typeof User>;

export const ApiKeyCreate = Type.Object({ name: Type.Optional(Type.String({ maxLength: 100 })), expiresAt: Type.Optional(Timestamp) }, { additionalProperties: false });
export type ApiKeyCreate = Static<typeof ApiKeyCreate>;

export const ApiKey = Type.Object({
  id: Type.String(),
  userId: Type.String(),
  /** The first characters of the key, to recognise it. */
  prefix: Type.String(),
  name: Type.String(),
  revokedAt: OrNull(Timestamp),
  expiresAt: OrNull(Timestamp),
  createdAt: Timestamp,
  /** Present in the listing of every key (GET /admin/api/keys): the owner. */
  userEmail: Type.Optional(Type.String()),
  accountId: Type.Optional(Type.String()),
});
export type ApiKey = Static<typeof ApiKey>;
/** A new key: `key` is the secret, shown this once. */
export const CreatedApiKey = Type.Object({ id: Type.String(), key: Type.String(), prefix: Type.String(), name: Type.String(), createdAt: Timestamp });
export type CreatedApiKey = Static<typeof CreatedApiKey>;

export const Account = Type.Object({
  id: Type.String(),
  name: Type.String(),
  balance: Credits,
  held: Credits,
  available: Credits,
  balanceMicros: Micros,
  heldMicros: Micros,
  userCount: Type.Integer(),
  createdAt: Timestamp,
});
export type Account = Static<typeof Account>;

export const CreditChange = Type.Object(
  {
    /** Credits; adjustments may be negative (never below what is held). */
    amount: Credits,
    note: Type.Optional(Type.String({ maxLength: 500 })),
    /** A repeat with the same key is not applied again (`applied: false`). */
    idempotencyKey: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  },
  { additionalProperties: false },
);
export type CreditChange = Static<typeof CreditChange>;
export const CreditChangeResult = Type.Object({ applied: Type.Boolean(), balance: Credits, held: Credits, available: Credits });
export type CreditChangeResult = Static<typeof CreditChangeResult>;

export const LedgerEntry = Type.Object({
  id: Type.String(),
  kind: OneOf(['grant', 'usage', 'refund', 'adjustment']),
  /** Microcredits, signed (usage is negative). */
  amount: Micros,
  /** The same amount in credits. */
  amountCredits: Credits,
  /** The request a usage entry charges, or the idempotencyKey a grant or adjustment was made with. */
  requestId: OrNull(Type.String()),
  note: Type.String(),
  actor: Type.String(),
  createdAt: Timestamp,
});
export type LedgerEntry = Static<typeof LedgerEntry>;
export const LedgerPage = Type.Object({
  /** Newest first. */
  data: Type.Array(LedgerEntry),
  /** Pass as `before` for the next (older) page; null on the last page. */
  nextBefore: OrNull(Type.String()),
});
export type LedgerPage = Static<typeof LedgerPage>;

/** The columns of GET /admin/api/accounts/{id}/ledger.csv, in order (newest entry first). */
export const LEDGER_CSV_COLUMNS = ['id', 'created_at', 'kind', 'amount_credits', 'request_id', 'note', 'actor'] as const;

export interface KeyListQuery {
  /** Matches the key prefix, the key name or the owner's email. */
  q?: string;
  status?: 'active' | 'revoked' | 'expired' | 'all';
  limit?: number;
}
