import { Type, type Static } from '@sinclair/typebox';
import { Credits, Limit, OneOf, OrNull, Slug, Timestamp } from './common.js';

/** Providers, their keys, models, prices and plans: request bodies and what the API answers. */

export const ProviderKind = OneOf(['openai', 'anthropic', 'gemini', 'mistral']);
export type ProviderKind = Static<typeof ProviderKind>;

const providerKeyFields = {
  secret: Type.String({ minLength: 1, maxLength: 4096 }),
  label: Type.String({ maxLength: 100 }),
  weight: Type.Integer({ minimum: 1, maximum: 1000 }),
  enabled: Type.Boolean(),
  rpmLimit: Limit,
  tpmLimit: Limit,
};
export const ProviderKeyCreate = Type.Composite([Type.Pick(Type.Object(providerKeyFields), ['secret']), Type.Partial(Type.Omit(Type.Object(providerKeyFields), ['secret']))], {
  additionalProperties: false,
});
export type ProviderKeyCreate = Static<typeof ProviderKeyCreate>;
/** `secret` rotates the key in place (same id, same limits). */
export const ProviderKeyUpdate = Type.Partial(Type.Object(providerKeyFields), { additionalProperties: false, minProperties: 1 });
export type ProviderKeyUpdate = Static<typeof ProviderKeyUpdate>;

export const ProviderKey = Type.Object({
  id: Type.String(),
  label: Type.String(),
  /** The only part of the secret ever shown. */
  last4: Type.String(),
  weight: Type.Integer(),
  enabled: Type.Boolean(),
  rpmLimit: OrNull(Type.Integer()),
  tpmLimit: OrNull(Type.Integer()),
  createdAt: Timestamp,
});
export type ProviderKey = Static<typeof ProviderKey>;
/** What adding a key answers. */
export const ProviderKeyAdded = Type.Pick(ProviderKey, ['id', 'label', 'last4', 'weight', 'enabled']);
export type ProviderKeyAdded = Static<typeof ProviderKeyAdded>;

const ProviderSettings = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 100 }),
  baseUrl: Type.String({ pattern: '^https?://[^\\s]+$' }),
  enabled: Type.Boolean(),
  connectTimeoutMs: Type.Integer({ minimum: 1, maximum: 600_000 }),
  firstByteTimeoutMs: Type.Integer({ minimum: 1, maximum: 3_600_000 }),
  totalTimeoutMs: Type.Integer({ minimum: 1, maximum: 3_600_000 }),
});
export const ProviderCreate = Type.Composite(
  [Type.Object({ id: Slug, kind: ProviderKind }), Type.Partial(ProviderSettings), Type.Partial(Type.Object({ keys: Type.Array(ProviderKeyCreate, { maxItems: 100 }) }))],
  { additionalProperties: false },
);
export type ProviderCreate = Static<typeof ProviderCreate>;
export const ProviderUpdate = Type.Partial(ProviderSettings, { additionalProperties: false, minProperties: 1 });
export type ProviderUpdate = Static<typeof ProviderUpdate>;

export const Provider = Type.Composite([
  Type.Object({ id: Type.String(), kind: ProviderKind }),
  ProviderSettings,
  Type.Object({ keys: Type.Array(ProviderKey), createdAt: Timestamp, updatedAt: Timestamp }),
]);
export type Provider = Static<typeof Provider>;

export const ProviderTestResult = Type.Object({
  provider: Type.String(),
  /** Every key answered. */
  ok: Type.Boolean(),
  keys: Type.Array(
    Type.Object({ keyId: Type.String(), last4: Type.String(), ok: Type.Boolean(), status: Type.Integer(), latencyMs: Type.Number(), error: OrNull(Type.String()) }),
  ),
});
export type ProviderTestResult = Static<typeof ProviderTestResult>;

/** Credits per 1M tokens. Cached input and cache writes default to the input price. */
export const PriceCreate = Type.Object(
  {
    inputPerMtok: Credits,
    outputPerMtok: Credits,
    cachedInputPerMtok: Type.Optional(Credits),
    cacheWritePerMtok: Type.Optional(Credits),
    /** Applies to requests starting at or after this time (default: now). */
    effectiveFrom: Type.Optional(Timestamp),
  },
  { additionalProperties: false },
);
export type PriceCreate = Static<typeof PriceCreate>;
export const Price = Type.Object({ id: Type.String(), inputPerMtok: Type.String(), outputPerMtok: Type.String(), cachedInputPerMtok: Type.String(), cacheWritePerMtok: Type.String(), effectiveFrom: Type.String() });
export type Price = Static<typeof Price>;

export const ModelKind = OneOf(['chat', 'embedding']);
const ModelSettings = Type.Object({
  providerId: Slug,
  upstreamModel: Type.String({ minLength: 1, maxLength: 200 }),
  contextWindow: Type.Integer({ minimum: 1 }),
  maxOutputTokens: Type.Integer({ minimum: 1 }),
  supportsVision: Type.Boolean(),
  supportsTools: Type.Boolean(),
  supportsJson: Type.Boolean(),
  enabled: Type.Boolean(),
  /** Aliases tried in order when this model's provider fails. */
  fallbacks: Type.Array(Type.String(), { maxItems: 10, uniqueItems: true }),
  cacheTtlSeconds: OrNull(Type.Integer({ minimum: 0 })),
});
const Alias = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._:/@-]{0,127}$' });
export const ModelCreate = Type.Composite(
  [
    Type.Object({ alias: Alias }),
    Type.Pick(ModelSettings, ['providerId', 'upstreamModel', 'contextWindow', 'maxOutputTokens']),
    Type.Partial(Type.Omit(ModelSettings, ['providerId', 'upstreamModel', 'contextWindow', 'maxOutputTokens'])),
    Type.Object({ kind: Type.Optional(ModelKind), price: PriceCreate }),
  ],
  { additionalProperties: false },
);
export type ModelCreate = Static<typeof ModelCreate>;
export const ModelUpdate = Type.Partial(ModelSettings, { additionalProperties: false, minProperties: 1 });
export type ModelUpdate = Static<typeof ModelUpdate>;

export const Model = Type.Composite([
  Type.Object({ alias: Type.String(), providerKind: ProviderKind, kind: ModelKind }),
  ModelSettings,
  Type.Object({
    /** The price in force now (null if every price starts in the future). */
    price: OrNull(Price),
    /** Newest first. */
    priceHistory: Type.Array(Price),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  }),
]);
export type Model = Static<typeof Model>;

const PlanSettings = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 100 }),
  /** Requests per minute per user (null: unlimited). */
  rpm: Limit,
  rpmPerProvider: Limit,
  tpm: Limit,
  maxConcurrentStreams: Limit,
  /** Markup on cost in basis points (100 = 1%). */
  markupBps: Type.Integer({ minimum: 0, maximum: 1_000_000 }),
});
export const PlanCreate = Type.Composite([Type.Object({ id: Slug, name: PlanSettings.properties.name }), Type.Partial(Type.Omit(PlanSettings, ['name']))], {
  additionalProperties: false,
});
export type PlanCreate = Static<typeof PlanCreate>;
export const PlanUpdate = Type.Partial(PlanSettings, { additionalProperties: false, minProperties: 1 });
export type PlanUpdate = Static<typeof PlanUpdate>;

export const Plan = Type.Composite([Type.Object({ id: Type.String() }), PlanSettings, Type.Object({ userCount: Type.Integer(), createdAt: Timestamp, updatedAt: Timestamp })]);
export type Plan = Static<typeof Plan>;
