/**
 * Shapes of the admin API responses the panel reads (src/http/admin/*.ts). Money arrives as
 * decimal credit strings with six places. The catalogue, account and key shapes are the SDK's
 * (one description of the admin API); the rest are what only the panel reads. The gateway's
 * typecheck compiles this file too (test/unit/http/admin-ui-types.test.ts), so they cannot drift.
 */

import type { Account, ApiKey, CreditChangeResult, LedgerEntry, Model, Plan, Price, Provider, ProviderKey, ProviderKind, User } from '../../../src/sdk/admin-types.js';

export type { Account, ApiKey, CreditChangeResult, LedgerEntry, Model, Plan, Price, Provider, ProviderKey, ProviderKind, User };

export interface ConnectionTest {
  provider: string;
  ok: boolean;
  keys: { keyId: string; last4: string; ok: boolean; status: number; latencyMs: number; error: string | null }[];
}

export interface CreatedKey {
  id: string;
  key: string;
  prefix: string;
  name: string;
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
