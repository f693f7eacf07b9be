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
      /** Failures and successes in the breaker's rolling window now. */
      failures: Type.Integer(),
      successes: Type.Integer(),
      inFlight: Type.Integer(),
      /** When it last opened (kept while half-open; null once closed) and the failure that opened it. */
      openedAt: OrNull(Timestamp),
      openReason: OrNull(Type.String()),
      /** Failures in the window when it opened (the window may have rolled past them since). */
      openedAfterFailures: Type.Integer(),
      /** When an open breaker lets its next probe through; null when closed or probing now (half-open). */
      nextProbeAt: OrNull(Timestamp),
      lastFailureAt: OrNull(Timestamp),
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
  /** The message the client received when the request failed. */
  errorMessage: OrNull(Type.String()),
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

export const RequestLogPage = Type.Object({
  data: Type.Array(RequestRow),
  /** Pass back as `before` for the next (older) page: an opaque cursor; null on the last page. */
  nextBefore: OrNull(Type.String()),
});
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

/** The request log's filters (GET /admin/api/requests and its CSV export /admin/api/requests.csv). */
export interface RequestLogFilterQuery {
  /** Requests that started in [from, to). */
  from?: string | Date;
  to?: string | Date;
  /** The requested or the serving model. */
  model?: string;
  provider?: string;
  userId?: string;
  accountId?: string;
  keyId?: string;
  /** ok (below 400), error (400 and up, or abandoned), one HTTP status such as "429", or a class such as "5xx". */
  status?: 'ok' | 'error' | 'all' | `${number}` | `${1 | 2 | 3 | 4 | 5}xx`;
  /** Requests carrying every one of these tags, as "key:value". */
  tag?: string | string[];
  /** A request id, or the start of one. */
  q?: string;
}

export interface RequestLogQuery extends RequestLogFilterQuery {
  limit?: number;
  /** A page's `nextBefore` (or an ISO time: requests that started before it). */
  before?: string | Date;
}

/** GET /admin/api/stats/usage.csv: requests, errors, tokens and spend per time bucket and group, every group. */
export type UsageExportQuery = Omit<UsageStatsQuery, 'top'>;

/**
 * The columns of the CSV exports, in order (the header line). Money is in credits with six
 * decimals; times are ISO 8601 UTC; free text a client or user wrote that would start with = + - @
 * is prefixed with ' so a spreadsheet shows it rather than running it.
 */
export const REQUEST_CSV_COLUMNS = [
  'id', 'started_at', 'user_email', 'user_id', 'account_id', 'key_prefix', 'key_name', 'endpoint', 'model', 'served_model', 'provider',
  'upstream_model', 'stream', 'status', 'error_code', 'error_message', 'prompt_tokens', 'completion_tokens', 'cached_tokens',
  'reasoning_tokens', 'usage_estimated', 'cost_credits', 'cache_hit', 'latency_ms', 'upstream_latency_ms', 'tags',
] as const;
export const USAGE_CSV_COLUMNS = ['bucket_start', 'group', 'label', 'requests', 'errors', 'prompt_tokens', 'completion_tokens', 'cost_credits'] as const;
