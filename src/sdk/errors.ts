import { APIError, ConflictError, InternalServerError, NotFoundError, PermissionDeniedError, RateLimitError, UnprocessableEntityError } from 'openai';

/**
 * Typed errors for what only a gateway says. Each extends the `openai` package's error for the
 * same status, so `instanceof OpenAI.RateLimitError` (and `.status`, `.code`, `.type`, `.param`,
 * `.requestID`) keep working for code written against OpenAI.
 */

/** 402: the account cannot cover even a small answer. Top up credits; retrying will not help. */
export class InsufficientCreditsError extends APIError<402, Headers> {
  override readonly name: string = 'InsufficientCreditsError';
}

/**
 * 402 with code budget_exceeded: a spend cap of the key or its user would be exceeded. Which cap
 * and its state travel with it; a day or month cap lifts when its period ends (`retryAfterSeconds`).
 */
export class BudgetExceededError extends InsufficientCreditsError {
  override readonly name = 'BudgetExceededError';
  /** Whose cap: the API key's own, or its user's. */
  readonly scope: 'key' | 'user' | null;
  readonly period: 'day' | 'month' | 'lifetime' | null;
  /** The cap and what its period has spent, in credits. */
  readonly limit: string | null;
  readonly spent: string | null;
  /** Seconds until the cap's period ends (null for a lifetime cap). */
  readonly retryAfterSeconds: number | null;
  constructor(status: 402, error: object | undefined, message: string | undefined, headers: Headers) {
    super(status, error, message, headers);
    this.scope = headers.get('x-tollgate-budget-scope') as BudgetExceededError['scope'];
    this.period = headers.get('x-tollgate-budget-period') as BudgetExceededError['period'];
    this.limit = headers.get('x-tollgate-budget-limit');
    this.spent = headers.get('x-tollgate-budget-spent');
    this.retryAfterSeconds = retryAfterSeconds(headers);
  }
}

/** 403 with code model_not_allowed: the key's model allowlist does not name this model. */
export class ModelNotAllowedError extends PermissionDeniedError {
  override readonly name = 'ModelNotAllowedError';
}

/** 429: a rate limit (the gateway's or the provider's). Wait `retryAfterSeconds`, then retry. */
export class RateLimitedError extends RateLimitError {
  override readonly name = 'RateLimitedError';
  /** Seconds to wait, from Retry-After (null when the gateway did not say). */
  readonly retryAfterSeconds: number | null;
  constructor(status: 429, error: object | undefined, message: string | undefined, headers: Headers) {
    super(status, error, message, headers);
    this.retryAfterSeconds = retryAfterSeconds(headers);
  }
}

/** 404 with code model_not_found: the model alias is unknown to the gateway or disabled. */
export class ModelNotFoundError extends NotFoundError {
  override readonly name = 'ModelNotFoundError';
}

/**
 * 502/503/504: the provider behind the model failed, timed out or is overloaded (or the gateway
 * is shutting down). Safe to retry later; nothing was charged unless part of a stream was delivered.
 */
export class UpstreamUnavailableError extends InternalServerError {
  override readonly name = 'UpstreamUnavailableError';
  readonly retryAfterSeconds: number | null;
  constructor(status: number, error: object | undefined, message: string | undefined, headers: Headers) {
    super(status, error, message, headers);
    this.retryAfterSeconds = retryAfterSeconds(headers);
  }
}

/** 409: a request with this Idempotency-Key is still running; retry shortly to get its answer. */
export class IdempotencyKeyInProgressError extends ConflictError {
  override readonly name = 'IdempotencyKeyInProgressError';
}

/** 422: this Idempotency-Key was already used with a different request body. */
export class IdempotencyKeyReusedError extends UnprocessableEntityError {
  override readonly name = 'IdempotencyKeyReusedError';
}

// Each class narrows `status` to its own literal (402, 429, …); the table only ever passes a matching one.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type ErrorClass = new (status: any, error: object | undefined, message: string | undefined, headers: Headers) => APIError;

/** Which class a gateway error becomes, by HTTP status and OpenAI error `code`; first match wins. */
const RULES: ReadonlyArray<{ status: readonly number[]; code?: string; make: ErrorClass }> = [
  { status: [402], code: 'budget_exceeded', make: BudgetExceededError },
  { status: [402], make: InsufficientCreditsError },
  { status: [403], code: 'model_not_allowed', make: ModelNotAllowedError },
  { status: [429], make: RateLimitedError },
  { status: [404], code: 'model_not_found', make: ModelNotFoundError },
  { status: [502, 503, 504], make: UpstreamUnavailableError },
  { status: [409], code: 'idempotency_key_in_progress', make: IdempotencyKeyInProgressError },
  { status: [422], code: 'idempotency_key_reused', make: IdempotencyKeyReusedError },
];

/** An error response (status, parsed JSON body, headers) → the most specific error class. */
export function errorFromResponse(status: number, body: unknown, message: string | undefined, headers: Headers): APIError {
  const error = (body as { error?: { code?: unknown } } | undefined)?.error;
  const code = typeof error?.code === 'string' ? error.code : undefined;
  const rule = RULES.find((r) => r.status.includes(status) && (r.code === undefined || r.code === code));
  return rule ? new rule.make(status, error, message, headers) : APIError.generate(status, body as object | undefined, message, headers);
}

/** The HTTP status a failure reported inside a stream (an SSE `error` event) would have had. */
const STATUS_OF_TYPE: Record<string, number> = {
  insufficient_quota: 402,
  rate_limit_error: 429,
  upstream_error: 502,
  service_unavailable: 503,
  timeout_error: 504,
};

/**
 * The `openai` package raises an in-stream error event as a status-less APIError; give it the
 * class (and status) the same failure has before the stream starts.
 */
export function fromStreamError(err: unknown, headers: Headers): unknown {
  if (!(err instanceof APIError) || err.status !== undefined || !err.error) return err;
  const status = STATUS_OF_TYPE[err.type ?? ''];
  return status === undefined ? err : errorFromResponse(status, { error: err.error }, undefined, headers);
}

/** Retry-After in seconds (delta-seconds or an HTTP date), or retry-after-ms. */
export function retryAfterSeconds(headers: Headers | undefined): number | null {
  const ms = Number(headers?.get('retry-after-ms') ?? NaN);
  if (Number.isFinite(ms)) return Math.max(0, ms / 1000);
  const value = headers?.get('retry-after');
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}
