import { randomBytes } from 'node:crypto';
import type { Usage } from '../canonical/index.js';
import type { Principal } from '../auth/principal.js';
import type { UpstreamTarget } from '../providers/types.js';
import type { Pricing } from '../credits/pricing.js';
import type { Micros } from '../credits/money.js';
import type { Admission } from '../limits/admission.js';
import type { CacheDecision } from '../cache/response-cache.js';
import type { Attempt, AttemptLog } from '../upstream/attempts.js';
import { NOOP_SPAN, type TraceSpan } from '../observability/tracing.js';

const ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Request ids: a random per-process prefix and a counter — unique across instances (the prefix
 * has 72 random bits) and far cheaper than random bytes per request.
 */
const ID_PREFIX = `req_${randomBytes(9).toString('base64url')}`;
let idCounter = 0;

/**
 * Per-request state that each step of the pipeline adds to, and that settlement and the request
 * log read. The HTTP layer creates it when a request arrives (http/lifecycle.ts).
 */
export class RequestContext implements AttemptLog {
  readonly id: string;
  readonly startedAt = Date.now();
  readonly startedHr = process.hrtime.bigint();
  endpoint = '';
  principal: Principal | undefined;
  modelAlias: string | undefined;
  served: UpstreamTarget | undefined;
  usage: Usage | undefined;
  attempts: Attempt[] = [];
  status = 200;
  errorCode: string | undefined;
  /** The message the client was sent when the request failed (kept in the request log). */
  errorMessage: string | undefined;
  stream = false;
  /** Milliseconds spent waiting for the provider (first attempt start → last byte). */
  upstreamMs = 0;
  /** The price this request pays (of the model that served it), fixed at its start time. */
  pricing: Pricing | undefined;
  /** The credit hold placed before calling upstream. */
  hold: { amount: Micros } | undefined;
  /** What the request reserved against its key's and user's spend caps (only when it has any). */
  budget: { reserved: Micros } | undefined;
  /** max_tokens after clamping to what the balance affords, when it was clamped. */
  clampedMaxTokens: number | undefined;
  cacheHit = false;
  /** The cache step's decision (stored after a complete success when it allows). */
  cache: CacheDecision | undefined;
  /** Who served the answer that a cache hit replays. */
  cachedFrom: { model: string; provider: string; upstreamModel: string } | undefined;
  tags: Record<string, string> | undefined;
  idempotency: { key: string; hash: string } | undefined;
  /** Set once the request has been settled (charged, logged); settling is done exactly once. */
  settled = false;
  /** Microcredits actually charged at settlement. */
  charged = 0n;
  /**
   * The limits being taken, for a request that went ahead without waiting for them
   * (pipeline/run.ts, goAhead): it rejects with the 429 when they refuse.
   */
  admitting: Promise<void> | undefined;
  /** What admission took from the shared limits (token budgets to correct, leases to release). */
  admissions: Admission[] = [];
  /** The request's trace span (the no-op span when tracing is off or the route is not traced). */
  span: TraceSpan = NOOP_SPAN;
  /** Headers every response of this request carries (x-ratelimit-*, x-cache). */
  responseHeaders: Record<string, string> = {};

  /** The caller's own x-request-id, kept for correlation; the gateway's id is always its own. */
  readonly clientRequestId: string | undefined;

  constructor(incomingId: string | undefined) {
    // Ids key the ledger and the request log, so they are never taken from the client.
    this.id = `${ID_PREFIX}${(idCounter++).toString(36)}`;
    this.clientRequestId = incomingId && ID_RE.test(incomingId) ? incomingId : undefined;
  }

  elapsedMs(): number {
    return Number(process.hrtime.bigint() - this.startedHr) / 1e6;
  }

  nextAttemptId(): string {
    return `${this.id}.${this.attempts.length + 1}`;
  }
}
