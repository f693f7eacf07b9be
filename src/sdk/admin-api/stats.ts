import { Type, type Static } from '@sinclair/typebox';
import { Credits, Micros, OneOf, OrNull, Timestamp } from './common.js';

/** What the panel's health, usage and request pages read. */

export const BreakerStateName = OneOf(['closed', 'open', 'half_open']);
export const AdminHealth = Type.Object({
  instance: Type.String(),
  windowMinutes: Type.Integer(),
  requests: Type.Object({
    total: Type.Integer(),
    serverErrors: Type.Integer(),
    clientErrors: Type.Integer(),
    serverErrorRate: Type.Number(),
    cacheHits: Type.Integer(),
    cacheHitRate: Type.Number(),
  }),
  providers: Type.Array(
    Type.Object({ provider: Type.String(), requests: Type.Integer(), errors: Type.Integer(), errorRate: Type.Number(), p50LatencyMs: Type.Number(), p95LatencyMs: Type.Number() }),
  ),
  breakers: Type.Array(
    Type.Object({
      provider: Type.String(),
      keyId: Type.String(),
      keyLabel: Type.String(),
      last4: Type.String(),
      state: BreakerStateName,
      failures: Type.Integer(),
      successes: Type.Integer(),
      inFlight: Type.Integer(),
    }),
  ),
});
export type AdminHealth = Static<typeof AdminHealth>;

/** Requests, errors, tokens and spend (GET /admin/api/stats/usage). */
export const UsageTotals = Type.Object({
  requests: Type.Integer(),
  errors: Type.Integer(),
  promptTokens: Type.Integer(),
  completionTokens: Type.Integer(),
  cost: Credits,
  costMicros: Micros,
});
export type UsageTotals = Static<typeof UsageTotals>;

export const Bucket = OneOf(['hour', 'day']);
export const GroupBy = OneOf(['model', 'provider', 'user']);
export const UsageStats = Type.Object({
  from: Timestamp,
  to: Timestamp,
  bucket: Bucket,
  groupBy: GroupBy,
  totals: UsageTotals,
  groups: Type.Array(Type.Composite([UsageTotals, Type.Object({ key: Type.String(), label: Type.String() })])),
  series: Type.Array(Type.Object({ bucket: Timestamp, values: Type.Record(Type.String(), UsageTotals) })),
});
export type UsageStats = Static<typeof UsageStats>;

export const RequestRow = Type.Object({
  id: Type.String(),
  model: OrNull(Type.String()),
  servedModel: OrNull(Type.String()),
  provider: OrNull(Type.String()),
  upstreamModel: OrNull(Type.String()),
  endpoint: Type.String(),
  stream: Type.Boolean(),
  status: Type.Integer(),
  errorCode: OrNull(Type.String()),
  promptTokens: Type.Integer(),
  completionTokens: Type.Integer(),
  cachedTokens: Type.Integer(),
  reasoningTokens: Type.Integer(),
  usageEstimated: Type.Boolean(),
  cost: Credits,
  costMicros: Micros,
  cacheHit: Type.Boolean(),
  latencyMs: Type.Integer(),
  upstreamLatencyMs: OrNull(Type.Integer()),
  accountId: OrNull(Type.String()),
  userId: OrNull(Type.String()),
  userEmail: OrNull(Type.String()),
  apiKeyId: OrNull(Type.String()),
  keyPrefix: OrNull(Type.String()),
  keyName: OrNull(Type.String()),
  tags: OrNull(Type.Record(Type.String(), Type.String())),
  startedAt: Timestamp,
});
export type RequestRow = Static<typeof RequestRow>;

export const RequestAttempt = Type.Object({
  attemptId: Type.String(),
  provider: Type.String(),
  keyId: Type.String(),
  model: Type.String(),
  status: Type.Integer(),
  latencyMs: Type.Number(),
  error: Type.Optional(Type.String()),
});
export const RequestDetail = Type.Composite([
  RequestRow,
  Type.Object({ attempts: Type.Array(RequestAttempt), holdMicros: Micros, maxTokensClamped: OrNull(Type.Integer()), finishedAt: Timestamp }),
]);
export type RequestDetail = Static<typeof RequestDetail>;

export const RequestLogPage = Type.Object({ data: Type.Array(RequestRow), nextBefore: OrNull(Timestamp) });
export type RequestLogPage = Static<typeof RequestLogPage>;

export interface UsageStatsQuery {
  from?: string | Date;
  to?: string | Date;
  bucket?: Static<typeof Bucket>;
  groupBy?: Static<typeof GroupBy>;
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
