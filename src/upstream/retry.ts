import { GatewayError, UpstreamError } from '../errors.js';

export interface RetryPolicy {
  /** Retries per deployment after the first attempt. */
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** The longest Retry-After the gateway waits for; a longer one moves on to the fallback (or returns the 429). */
  maxWaitMs: number;
  /** The whole request's budget for retrying and failing over. */
  deadlineMs: number;
}

/** Whether another attempt could succeed: 429, 5xx, 529, timeouts, connection errors, malformed bodies. */
export function isRetryable(err: unknown): err is UpstreamError {
  return err instanceof UpstreamError && err.retryable;
}

/** Why an attempt failed, as the request log names it. */
export function retryReason(err: unknown): string {
  if (err instanceof UpstreamError) return err.upstreamStatus ? String(err.upstreamStatus) : (err.code ?? 'connection_error');
  if (err instanceof GatewayError) return err.code ?? err.kind;
  return 'error';
}

/**
 * Exponential backoff with full jitter: a random delay in [0, min(max, base × 2^n)], but never
 * less than what the provider asked for in Retry-After.
 */
export function backoffMs(policy: RetryPolicy, retryIndex: number, retryAfterSeconds: number | undefined, random = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retryIndex);
  const jittered = Math.floor(random() * ceiling);
  return retryAfterSeconds !== undefined ? Math.max(jittered, Math.ceil(retryAfterSeconds * 1000)) : jittered;
}
