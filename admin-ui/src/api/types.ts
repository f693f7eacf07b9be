/**
 * Shapes of the admin API responses the panel reads (src/http/admin/*.ts). Money arrives as
 * decimal credit strings with six places. The catalogue, account and key shapes are the SDK's
 * (one description of the admin API); the rest are what only the panel reads. The gateway's
 * typecheck compiles this file too (test/unit/http/admin-ui-types.test.ts), so they cannot drift.
 */

import type {
  Account, ApiKey, CreditChangeResult, LedgerEntry, Model, Plan, Price, Provider, ProviderKey, ProviderKind, RequestDetail, RequestRow, UsageStats,
  UsageTotals, User,
} from '../../../src/sdk/admin-types.js';

export type {
  Account, ApiKey, CreditChangeResult, LedgerEntry, Model, Plan, Price, Provider, ProviderKey, ProviderKind, RequestDetail, RequestRow, UsageStats,
  UsageTotals, User,
};

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
