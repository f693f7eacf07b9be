/**
 * The admin API's bodies and answers (camelCase, as on the wire). Request bodies mirror
 * config-schema/admin-api.schema.json. Credit amounts and prices are exact decimal strings;
 * `*Micros` fields are whole microcredits as strings. Times are ISO 8601 strings.
 */

export type ProviderKind = 'openai' | 'anthropic' | 'gemini' | 'mistral';

export interface ProviderKeyCreate {
  secret: string;
  label?: string;
  weight?: number;
  enabled?: boolean;
  rpmLimit?: number | null;
  tpmLimit?: number | null;
}
/** `secret` rotates the key in place (same id, same limits). */
export type ProviderKeyUpdate = Partial<ProviderKeyCreate>;

export interface ProviderKey {
  id: string;
  label: string;
  /** The only part of the secret ever shown. */
  last4: string;
  weight: number;
  enabled: boolean;
  rpmLimit: number | null;
  tpmLimit: number | null;
  createdAt: string;
}

export interface ProviderSettings {
  name?: string;
  baseUrl?: string;
  enabled?: boolean;
  connectTimeoutMs?: number;
  firstByteTimeoutMs?: number;
  totalTimeoutMs?: number;
}
export interface ProviderCreate extends ProviderSettings {
  id: string;
  kind: ProviderKind;
  keys?: ProviderKeyCreate[];
}
export type ProviderUpdate = ProviderSettings;

export interface Provider extends Required<ProviderSettings> {
  id: string;
  kind: ProviderKind;
  keys: ProviderKey[];
  createdAt: string;
  updatedAt: string;
}

export interface ProviderTestResult {
  provider: string;
  /** Every key answered. */
  ok: boolean;
  keys: Array<{ keyId: string; last4: string; ok: boolean; status: number; latencyMs: number; error: string | null }>;
}

/** Credits per 1M tokens. Cached input and cache writes default to the input price. */
export interface PriceCreate {
  inputPerMtok: string;
  outputPerMtok: string;
  cachedInputPerMtok?: string;
  cacheWritePerMtok?: string;
  /** Applies to requests starting at or after this time (default: now). */
  effectiveFrom?: string;
}
export interface Price extends Required<PriceCreate> {
  id: string;
}

export interface ModelSettings {
  providerId?: string;
  upstreamModel?: string;
  contextWindow?: number;
  maxOutputTokens?: number;
  supportsVision?: boolean;
  supportsTools?: boolean;
  supportsJson?: boolean;
  enabled?: boolean;
  /** Aliases tried in order when this model's provider fails. */
  fallbacks?: string[];
  cacheTtlSeconds?: number | null;
}
export interface ModelCreate extends ModelSettings {
  alias: string;
  providerId: string;
  upstreamModel: string;
  kind?: 'chat' | 'embedding';
  contextWindow: number;
  maxOutputTokens: number;
  price: PriceCreate;
}
export type ModelUpdate = ModelSettings;

export interface Model extends Required<ModelSettings> {
  alias: string;
  providerKind: ProviderKind;
  kind: 'chat' | 'embedding';
  /** The price in force now (null if every price starts in the future). */
  price: Price | null;
  /** Newest first. */
  priceHistory: Price[];
  createdAt: string;
  updatedAt: string;
}

export interface PlanSettings {
  name?: string;
  /** Requests per minute per user (null: unlimited). */
  rpm?: number | null;
  rpmPerProvider?: number | null;
  tpm?: number | null;
  maxConcurrentStreams?: number | null;
  /** Markup on cost in basis points (100 = 1%). */
  markupBps?: number;
}
export interface PlanCreate extends PlanSettings {
  id: string;
  name: string;
}
export type PlanUpdate = PlanSettings;

export interface Plan extends Required<PlanSettings> {
  id: string;
  userCount: number;
  createdAt: string;
  updatedAt: string;
}

export interface UserCreate {
  email: string;
  name?: string;
  planId?: string;
  /** Join an existing account; omitted: a new account is opened. */
  accountId?: string;
  accountName?: string;
  /** Credits granted to the new account. */
  initialCredits?: string;
}
export interface UserUpdate {
  name?: string;
  planId?: string;
  disabled?: boolean;
}

export interface User {
  id: string;
  email: string;
  name: string;
  planId: string;
  disabled: boolean;
  accountId: string;
  accountName: string;
  balanceMicros: string;
  heldMicros: string;
  activeKeys: number;
  createdAt: string;
  updatedAt: string;
}

export interface ApiKeyCreate {
  name?: string;
  expiresAt?: string;
}
export interface ApiKey {
  id: string;
  userId: string;
  /** The first characters of the key, to recognise it. */
  prefix: string;
  name: string;
  revokedAt: string | null;
  expiresAt: string | null;
  createdAt: string;
  /** Present in the listing of every key (GET /admin/api/keys): the owner. */
  userEmail?: string;
  accountId?: string;
}
/** A new key: `key` is the secret, shown this once. */
export interface CreatedApiKey {
  id: string;
  key: string;
  prefix: string;
  name: string;
  createdAt: string;
}

export interface Account {
  id: string;
  name: string;
  balance: string;
  held: string;
  available: string;
  balanceMicros: string;
  heldMicros: string;
  userCount: number;
  createdAt: string;
}

export interface CreditChange {
  /** Credits; adjustments may be negative (never below what is held). */
  amount: string;
  note?: string;
  /** A repeat with the same key is not applied again (`applied: false`). */
  idempotencyKey?: string;
}
export interface CreditChangeResult {
  applied: boolean;
  balance: string;
  held: string;
  available: string;
}

export interface LedgerEntry {
  id: string;
  kind: 'grant' | 'usage' | 'refund' | 'adjustment';
  /** Microcredits, signed (usage is negative). */
  amount: string;
  /** The same amount in credits. */
  amountCredits: string;
  /** The request a usage entry charges, or the idempotencyKey a grant or adjustment was made with. */
  requestId: string | null;
  note: string;
  actor: string;
  createdAt: string;
}
export interface LedgerPage {
  /** Newest first. */
  data: LedgerEntry[];
  /** Pass as `before` for the next (older) page; null on the last page. */
  nextBefore: string | null;
}

export interface AdminHealth {
  instance: string;
  windowMinutes: number;
  requests: { total: number; serverErrors: number; clientErrors: number; serverErrorRate: number; cacheHits: number; cacheHitRate: number };
  providers: Array<{ provider: string; requests: number; errors: number; errorRate: number; p50LatencyMs: number; p95LatencyMs: number }>;
  breakers: Array<{ provider: string; keyId: string; keyLabel: string; last4: string; state: 'closed' | 'open' | 'half_open'; failures: number; successes: number; inFlight: number }>;
}

/** Requests, errors, tokens and spend (GET /admin/api/stats/usage). */
export interface UsageTotals {
  requests: number;
  errors: number;
  promptTokens: number;
  completionTokens: number;
  cost: string;
  costMicros: string;
}

export interface UsageStats {
  from: string;
  to: string;
  bucket: 'hour' | 'day';
  groupBy: 'model' | 'provider' | 'user';
  totals: UsageTotals;
  groups: (UsageTotals & { key: string; label: string })[];
  series: { bucket: string; values: Record<string, UsageTotals> }[];
}

export interface RequestRow {
  id: string;
  model: string | null;
  servedModel: string | null;
  provider: string | null;
  upstreamModel: string | null;
  endpoint: string;
  stream: boolean;
  status: number;
  errorCode: string | null;
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
  reasoningTokens: number;
  usageEstimated: boolean;
  cost: string;
  costMicros: string;
  cacheHit: boolean;
  latencyMs: number;
  upstreamLatencyMs: number | null;
  accountId: string | null;
  userId: string | null;
  userEmail: string | null;
  apiKeyId: string | null;
  keyPrefix: string | null;
  keyName: string | null;
  tags: Record<string, string> | null;
  startedAt: string;
}

export interface RequestDetail extends RequestRow {
  attempts: { attemptId: string; provider: string; keyId: string; model: string; status: number; latencyMs: number; error?: string }[];
  holdMicros: string;
  maxTokensClamped: number | null;
  finishedAt: string;
}

export interface UsageStatsQuery {
  from?: string | Date;
  to?: string | Date;
  bucket?: 'hour' | 'day';
  groupBy?: 'model' | 'provider' | 'user';
  /** Groups past this many (default 8) fold into `__other__`. */
  top?: number;
  accountId?: string;
  userId?: string;
}

export interface RequestLogQuery {
  limit?: number;
  /** Requests that started before this time (a page's `nextBefore`). */
  before?: string | Date;
  model?: string;
  provider?: string;
  userId?: string;
  accountId?: string;
  status?: 'ok' | 'error' | 'all';
}

export interface RequestLogPage {
  data: RequestRow[];
  nextBefore: string | null;
}

export interface KeyListQuery {
  /** Matches the key prefix, the key name or the owner's email. */
  q?: string;
  status?: 'active' | 'revoked' | 'expired' | 'all';
  limit?: number;
}
