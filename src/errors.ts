/**
 * The gateway's error family. Every failure the gateway reports is a GatewayError of one closed
 * `kind`; whether it is retryable, which parameter it names and how long to wait before retrying
 * travel with it. How a kind becomes an HTTP status and a wire-format error body is the HTTP
 * layer's business (http/errors.ts), so each ingress can speak its own error dialect.
 */

export type ErrorKind =
  /** The request is malformed, or asks for something the chosen model cannot do. */
  | 'invalid_request'
  | 'payload_too_large'
  | 'authentication'
  | 'permission'
  | 'not_found'
  /** The request conflicts with one in progress (an Idempotency-Key still running). */
  | 'conflict'
  /** Well-formed, but contradicts an earlier request (an Idempotency-Key reused with another body). */
  | 'unprocessable'
  | 'insufficient_credits'
  | 'rate_limited'
  /** The provider failed or answered with something the gateway cannot use. */
  | 'upstream'
  | 'timeout'
  /** The gateway or the provider cannot take the request now (shutdown, breaker open, overload). */
  | 'unavailable'
  | 'internal';

export interface GatewayErrorOptions {
  param?: string | null;
  code?: string | null;
  /** Whether another attempt (same or another deployment) could succeed. */
  retryable?: boolean;
  /** How long the caller should wait before trying again. */
  retryAfterSeconds?: number;
  /** Limit state to report with the error (x-ratelimit-*), as the limits step computed it. */
  headers?: Record<string, string>;
  cause?: unknown;
}

export class GatewayError extends Error {
  readonly kind: ErrorKind;
  readonly param: string | null;
  readonly code: string | null;
  readonly retryable: boolean;
  readonly retryAfterSeconds: number | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(kind: ErrorKind, message: string, opts: GatewayErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.kind = kind;
    this.param = opts.param ?? null;
    this.code = opts.code ?? null;
    this.retryable = opts.retryable ?? false;
    this.retryAfterSeconds = opts.retryAfterSeconds;
    this.headers = opts.headers;
  }
}

export class InvalidRequestError extends GatewayError {
  constructor(message: string, opts: GatewayErrorOptions = {}) {
    super('invalid_request', message, { code: 'invalid_request', ...opts });
  }
}

/** A parameter the provider behind the model cannot honour. Never silently dropped. */
export class UnsupportedParameterError extends GatewayError {
  constructor(param: string, provider: string, detail?: string) {
    super('invalid_request', `Parameter '${param}' is not supported by the ${provider} provider${detail ? `: ${detail}` : '.'}`, {
      param,
      code: 'unsupported_parameter',
    });
  }
}

export class PayloadTooLargeError extends GatewayError {
  constructor(limitBytes: number) {
    super('payload_too_large', `Request body exceeds the limit of ${limitBytes} bytes.`, { code: 'request_too_large' });
  }
}

export class AuthenticationError extends GatewayError {
  constructor(message = 'Invalid API key. Pass a Tollgate key as "Authorization: Bearer <key>".', code = 'invalid_api_key') {
    super('authentication', message, { code });
  }
}

export class PermissionError extends GatewayError {
  constructor(message: string, code = 'forbidden') {
    super('permission', message, { code });
  }
}

export class NotFoundError extends GatewayError {
  constructor(message: string, code = 'not_found', param: string | null = null) {
    super('not_found', message, { code, param });
  }
}

export class ModelNotFoundError extends NotFoundError {
  constructor(model: string) {
    super(`The model '${model}' does not exist or is not enabled.`, 'model_not_found', 'model');
  }
}

export class ConflictError extends GatewayError {
  constructor(message: string, code = 'conflict', param: string | null = null) {
    super('conflict', message, { code, param });
  }
}

export class InsufficientCreditsError extends GatewayError {
  constructor(message: string) {
    super('insufficient_credits', message, { code: 'insufficient_credits' });
  }
}

/** The key's model allowlist does not name the model the request asked for. */
export class ModelNotAllowedError extends GatewayError {
  constructor(model: string, allowed: readonly string[]) {
    const list = allowed.length ? `It may use: ${allowed.join(', ')}.` : 'It may use no model.';
    super('permission', `This API key may not use the model '${model}'. ${list}`, { code: 'model_not_allowed', param: 'model' });
  }
}

/**
 * A spend cap (budget) of the key or its user would be exceeded: 402, naming the cap, its period,
 * its limit and what is spent (the message, and x-tollgate-budget-* headers); Retry-After when
 * the period ends.
 */
export class BudgetExceededError extends GatewayError {
  constructor(message: string, headers: Record<string, string>, retryAfterSeconds?: number) {
    super('insufficient_credits', message, { code: 'budget_exceeded', headers, retryAfterSeconds });
  }
}

export class RateLimitError extends GatewayError {
  constructor(message: string, retryAfterSeconds: number, headers: Record<string, string> = {}, code = 'rate_limit_exceeded') {
    super('rate_limited', message, { code, headers, retryAfterSeconds: Math.max(1, Math.ceil(retryAfterSeconds)) });
  }
}

/**
 * An upstream provider answered with an error, or could not be reached. `kind` is what the
 * client is told; `upstreamStatus` is what the provider said (0 when no response arrived).
 */
export class UpstreamError extends GatewayError {
  readonly upstreamStatus: number;

  constructor(kind: ErrorKind, message: string, opts: GatewayErrorOptions & { upstreamStatus: number }) {
    super(kind, message, opts);
    this.upstreamStatus = opts.upstreamStatus;
  }
}

export class UpstreamTimeoutError extends UpstreamError {
  constructor(message: string, phase: 'connect' | 'first_byte' | 'total') {
    super('timeout', message, { upstreamStatus: 0, code: `upstream_timeout_${phase}`, retryable: true });
  }
}

export class ServiceUnavailableError extends GatewayError {
  constructor(message: string, code = 'service_unavailable', retryAfterSeconds?: number) {
    super('unavailable', message, { code, retryAfterSeconds });
  }
}

export class InternalError extends GatewayError {
  constructor(message = 'The gateway hit an internal error.', cause?: unknown) {
    super('internal', message, { code: 'internal_error', cause });
  }
}

/** The client went away before the answer was complete. Not reported to anyone. */
export class ClientAbortedError extends Error {
  constructor() {
    super('client aborted');
    this.name = 'ClientAbortedError';
  }
}

/** Wraps anything thrown into a GatewayError without leaking internals to the client. */
export function toGatewayError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  return new InternalError(undefined, err);
}

/**
 * The status each kind of outcome is recorded with (request log, attempts, metrics). Ingresses
 * answer with these numbers too unless their wire format says otherwise (http/errors.ts).
 */
const OUTCOME_STATUS: Record<ErrorKind, number> = {
  invalid_request: 400,
  payload_too_large: 413,
  authentication: 401,
  permission: 403,
  not_found: 404,
  conflict: 409,
  unprocessable: 422,
  insufficient_credits: 402,
  rate_limited: 429,
  upstream: 502,
  timeout: 504,
  unavailable: 503,
  internal: 500,
};

export function outcomeStatus(err: GatewayError): number {
  return OUTCOME_STATUS[err.kind];
}

/** Failures that are the gateway's own fault (a bug, a store down), not the request's or a provider's. */
export function isInternal(err: GatewayError): boolean {
  return err.kind === 'internal';
}
