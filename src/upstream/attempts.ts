/** One upstream attempt, as the request log and metrics see it. */
export interface Attempt {
  attemptId: string;
  provider: string;
  keyId: string;
  model: string;
  status: number;
  latencyMs: number;
  error?: string;
  /** Why the next attempt happened (e.g. "429", "breaker_open", "connection_error"). */
  retryReason?: string;
}

import type { TraceSpan } from '../observability/tracing.js';

/**
 * What the failover loop records its attempts on: the request's log of attempts (each with an id
 * unique across the request, so however many attempts it makes it is billed once) and the time
 * spent waiting for providers.
 */
export interface AttemptLog {
  readonly startedAt: number;
  readonly attempts: Attempt[];
  /** The request's endpoint and span: each attempt is traced as a child span. */
  readonly endpoint: string;
  readonly span: TraceSpan;
  upstreamMs: number;
  nextAttemptId(): string;
}
