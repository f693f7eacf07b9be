import { ClientAbortedError, GatewayError, outcomeStatus, ServiceUnavailableError, UpstreamError, toGatewayError } from '../errors.js';
import type { UpstreamTarget } from '../providers/types.js';
import type { KeyPicker } from '../routing/keys.js';
import type { Deployment, Route } from '../routing/route.js';
import { endAttemptSpan, startAttemptSpan } from '../observability/tracing-genai.js';
import type { Attempt, AttemptLog } from './attempts.js';
import { isBreakerOpen, type BreakerRegistry } from './breakers.js';
import { backoffMs, isRetryable, retryReason, type RetryPolicy } from './retry.js';
import type { Cancel } from '../util/cancel.js';

/** What the failover loop works with: the retry policy, the key pool's in-flight counts, the breakers. */
export interface FailoverDeps {
  retry: RetryPolicy;
  keys: KeyPicker;
  breakers: BreakerRegistry;
}

/**
 * Picks and admits a key of the deployment (limits, quotas, breakers), skipping `avoid`;
 * undefined when no key is usable now.
 */
export type TargetPicker = (deployment: Deployment, avoid?: ReadonlySet<string>) => Promise<UpstreamTarget | undefined>;

export interface Served<T> {
  value: T;
  target: UpstreamTarget;
}

const sleep = (ms: number, cancel: Cancel) =>
  new Promise<void>((resolve) => {
    const stop = cancel.onAbort(() => (clearTimeout(t), resolve()));
    const t = setTimeout(() => (stop(), resolve()), ms);
  });

function breakerOpenError(target: UpstreamTarget): GatewayError {
  return new ServiceUnavailableError(`${target.provider.name} is failing; its circuit breaker is open.`, 'upstream_breaker_open');
}

/**
 * One upstream call with retries, circuit breakers and the fallback chain (docs/ARCHITECTURE.md):
 * - each deployment of the route in order (the model, then its fallbacks);
 * - within one, a key whose breaker is closed; after a retryable failure (429, 5xx, 529,
 *   timeout, connection, malformed body) another key of the same provider first, and only
 *   then the same key again after exponential backoff with full jitter (never sooner than
 *   Retry-After);
 * - a deployment whose keys are all at their quota (or whose provider the caller has used up
 *   its per-provider limit on) is skipped for the next one; its 429 is the answer when none is left;
 * - a failure retrying cannot fix (a 4xx) ends the request at once;
 * - the request's deadline bounds all waiting: a Retry-After beyond it moves on to the
 *   fallback at once.
 * `attempt` must not have sent anything to the client when it throws (streams peek their first
 * chunk first), so a retried attempt that produced nothing is never charged. Every attempt is
 * recorded on the request (provider, key, status, latency, why the next one happened) and traced
 * as a span whose W3C trace context `attempt` passes to the provider.
 */
export async function callWithFailover<T>(
  deps: FailoverDeps,
  log: AttemptLog,
  route: Route,
  pick: TargetPicker,
  abort: Cancel,
  attempt: (target: UpstreamTarget, traceHeaders: Record<string, string> | undefined) => Promise<T>,
): Promise<Served<T>> {
  const policy = deps.retry;
  const deadline = log.startedAt + policy.deadlineMs;
  let lastError: GatewayError | undefined;
  for (const deployment of route.deployments) {
    const failedKeys = new Set<string>();
    for (let retry = 0; retry <= policy.maxRetries; retry++) {
      if (abort.aborted) throw new ClientAbortedError();
      let target: UpstreamTarget | undefined;
      try {
        target = await pick(deployment, failedKeys);
        // Every key failed once already: go back to them (after the backoff below).
        if (!target && failedKeys.size > 0) target = await pick(deployment);
      } catch (err) {
        // Every key at its own quota, or the caller at its limit for this provider: the
        // deployment cannot take the request now, the next one in the chain may.
        if (!(err instanceof GatewayError) || err.kind !== 'rate_limited') throw err;
        noteSkip(log, deployment.provider.id, deployment.model.alias, err.code ?? 'rate_limited', outcomeStatus(err));
        lastError = err;
        break;
      }
      if (!target) {
        noteSkip(log, deployment.provider.id, deployment.model.alias, 'breaker_open');
        lastError ??= new ServiceUnavailableError(`${deployment.provider.name} is failing; its circuit breaker is open.`, 'upstream_breaker_open');
        break;
      }
      const t0 = performance.now();
      const span = startAttemptSpan(log.span, log.endpoint, target, log.attempts.length + 1, deployment !== route.deployments[0]);
      deps.keys.acquire(target.key);
      try {
        const value = await deps.breakers.runner(target.provider, target.key)(() => attempt(target!, span.headers()));
        endAttemptSpan(span, record(log, target, t0, 200));
        return { value, target };
      } catch (err) {
        if (err instanceof ClientAbortedError || abort.aborted) {
          // Cancelled: the client went away, or the request's limits refused it (pipeline/upstream.ts).
          endAttemptSpan(span, undefined, abort.reason instanceof GatewayError ? (abort.reason.code ?? abort.reason.kind) : 'client_disconnected');
          throw new ClientAbortedError();
        }
        const e = isBreakerOpen(err) ? breakerOpenError(target) : toGatewayError(err);
        lastError = e;
        const retryable = isBreakerOpen(err) || isRetryable(e);
        endAttemptSpan(span, record(log, target, t0, outcomeStatus(e), e.code ?? e.message, retryable ? retryReason(e) : undefined), e.code ?? e.kind);
        if (!retryable) throw e;
        failedKeys.add(target.key.id);
        if (retry === policy.maxRetries) break;
        const otherKeyReady = deployment.provider.keys.some((k) => k.enabled && !failedKeys.has(k.id) && !deps.breakers.isOpen(deployment.provider, k));
        const wait = otherKeyReady ? 0 : backoffMs(policy, retry, e instanceof UpstreamError ? e.retryAfterSeconds : undefined);
        if (wait > policy.maxWaitMs || Date.now() + wait > deadline) break;
        if (wait > 0) await sleep(wait, abort);
      } finally {
        deps.keys.release(target.key);
      }
    }
  }
  throw lastError ?? new ServiceUnavailableError('No deployment could serve this request.', 'no_deployment');
}

function record(log: AttemptLog, target: UpstreamTarget, t0: number, status: number, error?: string, retryReason?: string): Attempt {
  log.upstreamMs += performance.now() - t0;
  const attempt: Attempt = {
    attemptId: log.nextAttemptId(),
    provider: target.provider.id,
    keyId: target.key.id,
    model: target.model.alias,
    status,
    latencyMs: Math.round(performance.now() - t0),
    ...(error ? { error } : {}),
    ...(retryReason ? { retryReason } : {}),
  };
  log.attempts.push(attempt);
  return attempt;
}

/** A deployment skipped without an attempt (every key behind an open breaker, or at its quota). */
function noteSkip(log: AttemptLog, provider: string, model: string, reason: string, status = 0): void {
  log.span.event('tollgate.deployment_skipped', { 'tollgate.provider.id': provider, 'tollgate.model.alias': model, 'tollgate.skip_reason': reason });
  log.attempts.push({ attemptId: log.nextAttemptId(), provider, keyId: '', model, status, latencyMs: 0, error: reason, retryReason: reason });
}
