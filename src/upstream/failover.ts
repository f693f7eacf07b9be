import type { Gateway } from '../gateway.js';
import type { RequestContext } from '../http/context.js';
import { ClientAbortedError, GatewayError, outcomeStatus, ServiceUnavailableError, toGatewayError, UpstreamError } from '../errors.js';
import { admitTarget } from '../limits/steps.js';
import type { UpstreamTarget } from '../providers/types.js';
import type { Route } from '../routing/route.js';
import { isBreakerOpen } from './breakers.js';
import { backoffMs, isRetryable, retryReason } from './retry.js';

export interface Served<T> {
  value: T;
  target: UpstreamTarget;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

function breakerOpenError(target: UpstreamTarget): UpstreamError {
  return toGatewayError(
    new ServiceUnavailableError(`${target.provider.name} is failing; its circuit breaker is open.`, 'upstream_breaker_open'),
  ) as UpstreamError;
}

/**
 * One upstream call with retries, circuit breakers and the fallback chain (DESIGN §7):
 * - each deployment of the route in order (the model, then its fallbacks);
 * - within one, a key whose breaker is closed; after a retryable failure (429, 5xx, 529,
 *   timeout, connection, malformed body) another key of the same provider first, and only
 *   then the same key again after exponential backoff with full jitter (never sooner than
 *   Retry-After);
 * - a failure retrying cannot fix (a 4xx) ends the request at once;
 * - the request's deadline bounds all waiting: a Retry-After beyond it moves on to the
 *   fallback at once.
 * `attempt` must not have sent anything to the client when it throws (streams peek their first
 * chunk first), so a retried attempt that produced nothing is never charged. Every attempt is
 * recorded on the request (provider, key, status, latency, why the next one happened).
 */
export async function callWithFailover<T>(
  gw: Gateway,
  ctx: RequestContext,
  route: Route,
  estTokens: number,
  abort: AbortController,
  attempt: (target: UpstreamTarget) => Promise<T>,
): Promise<Served<T>> {
  const policy = gw.retry;
  const deadline = ctx.startedAt + policy.deadlineMs;
  let lastError: GatewayError | undefined;
  for (const deployment of route.deployments) {
    const failedKeys = new Set<string>();
    for (let retry = 0; retry <= policy.maxRetries; retry++) {
      if (abort.signal.aborted) throw new ClientAbortedError();
      let target = await admitTarget(gw, ctx, deployment, estTokens, failedKeys);
      // Every key failed once already: go back to them (after the backoff below).
      if (!target && failedKeys.size > 0) target = await admitTarget(gw, ctx, deployment, estTokens);
      if (!target) {
        noteSkip(ctx, deployment.provider.id, deployment.model.alias, 'breaker_open');
        lastError ??= new ServiceUnavailableError(`${deployment.provider.name} is failing; its circuit breaker is open.`, 'upstream_breaker_open');
        break;
      }
      const t0 = performance.now();
      gw.keys.acquire(target.key);
      try {
        const value = await gw.breakers.runner(target.provider, target.key)(() => attempt(target!));
        record(ctx, target, t0, 200);
        return { value, target };
      } catch (err) {
        if (err instanceof ClientAbortedError || abort.signal.aborted) throw new ClientAbortedError();
        const e = isBreakerOpen(err) ? breakerOpenError(target) : toGatewayError(err);
        lastError = e;
        const retryable = isBreakerOpen(err) || isRetryable(e);
        record(ctx, target, t0, outcomeStatus(e), e.code ?? e.message, retryable ? retryReason(e) : undefined);
        if (!retryable) throw e;
        failedKeys.add(target.key.id);
        if (retry === policy.maxRetries) break;
        const otherKeyReady = deployment.provider.keys.some((k) => k.enabled && !failedKeys.has(k.id) && !gw.breakers.isOpen(deployment.provider, k));
        const wait = otherKeyReady ? 0 : backoffMs(policy, retry, (e as UpstreamError).retryAfterSeconds);
        if (wait > policy.maxWaitMs || Date.now() + wait > deadline) break;
        if (wait > 0) await sleep(wait, abort.signal);
      } finally {
        gw.keys.release(target.key);
      }
    }
  }
  throw lastError ?? new ServiceUnavailableError('No deployment could serve this request.', 'no_deployment');
}

function record(ctx: RequestContext, target: UpstreamTarget, t0: number, status: number, error?: string, retryReason?: string): void {
  ctx.upstreamMs += performance.now() - t0;
  ctx.attempts.push({
    attemptId: ctx.nextAttemptId(),
    provider: target.provider.id,
    keyId: target.key.id,
    model: target.model.alias,
    status,
    latencyMs: Math.round(performance.now() - t0),
    ...(error ? { error } : {}),
    ...(retryReason ? { retryReason } : {}),
  });
}

/** A deployment skipped without an attempt (every key behind an open breaker). */
function noteSkip(ctx: RequestContext, provider: string, model: string, reason: string): void {
  ctx.attempts.push({ attemptId: ctx.nextAttemptId(), provider, keyId: '', model, status: 0, latencyMs: 0, error: reason, retryReason: reason });
}
