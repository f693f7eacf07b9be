/**
 * Shapes of the admin API responses the panel reads (src/http/admin/*.ts). Money arrives as
 * decimal credit strings with six places. No imports: the gateway's typecheck compiles this file
 * too (test/unit/http/admin-ui-types.test.ts) so the mirrored types cannot drift.
 */

export type ProviderKind = 'openai' | 'anthropic' | 'gemini' | 'mistral';

export interface ProviderKey {
  id: string;
  label: string;
  last4: string;
  weight: number;
  enabled: boolean;
  rpmLimit: number | null;
  tpmLimit: number | null;
  createdAt: string;
}

export interface Provider {
  id: string;
  kind: ProviderKind;
  name: string;
  baseUrl: string;
  enabled: boolean;
  connectTimeoutMs: number;
  firstByteTimeoutMs: number;
  totalTimeoutMs: number;
  createdAt: string;
  updatedAt: string;
  keys: ProviderKey[];
}

export interface ConnectionTest {
  provider: string;
  ok: boolean;
  keys: { keyId: string; last4: string; ok: boolean; status: number; latencyMs: number; error: string | null }[];
}

export interface Price {
  id: string;
  inputPerMtok: string;
  outputPerMtok: string;
  cachedInputPerMtok: string;
  cacheWritePerMtok: string;
  effectiveFrom: string;
}

export interface Model {
  alias: string;
  providerId: string;
  providerKind: ProviderKind;
  upstreamModel: string;
  kind: 'chat' | 'embedding';
  contextWindow: number;
  maxOutputTokens: number;
  supportsVision: boolean;
  supportsTools: boolean;
  supportsJson: boolean;
  enabled: boolean;
  fallbacks: string[];
  cacheTtlSeconds: number | null;
  createdAt: string;
  updatedAt: string;
  price: Price | null;
  priceHistory: Price[];
}

export interface Plan {
  id: string;
  name: string;
  rpm: number | null;
  rpmPerProvider: number | null;
  tpm: number | null;
  maxConcurrentStreams: number | null;
  markupBps: number;
  createdAt: string;
  updatedAt: string;
  userCount: number;
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
  createdAt: string;
  updatedAt: string;
  activeKeys: number;
}

export interface ApiKey {
  id: string;
  userId: string;
  prefix: string;
  name: string;
  revokedAt: string | null;
  expiresAt: string | null;
  createdAt: string;
  /** Present in the all-keys listing (GET /keys). */
  userEmail?: string;
  accountId?: string;
}

export interface CreatedKey {
  id: string;
  key: string;
  prefix: string;
  name: string;
  createdAt: string;
}

export interface Account {
  id: string;
  name: string;
  balanceMicros: string;
  heldMicros: string;
  balance: string;
  held: string;
  available: string;
  createdAt: string;
  userCount: number;
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
  amount: string;
  amountCredits: string;
  requestId: string | null;
  note: string;
  actor: string;
  createdAt: string;
}

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

/** One circuit breaker per provider key (mirrors BreakerState in src/http/admin/health.ts). */
export interface BreakerState {
  provider: string;
  keyId: string;
  keyLabel: string;
  last4: string;
  state: 'closed' | 'open' | 'half_open';
  failures: number;
  successes: number;
  inFlight: number;
}

export interface Health {
  instance: string;
  windowMinutes: number;
  requests: { total: number; serverErrors: number; clientErrors: number; serverErrorRate: number; cacheHits: number; cacheHitRate: number };
  providers: { provider: string; requests: number; errors: number; errorRate: number; p50LatencyMs: number; p95LatencyMs: number }[];
  breakers: BreakerState[];
}

export interface List<T> {
  data: T[];
  nextBefore?: string | null;
}
