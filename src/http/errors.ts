/**
 * The GatewayError family. Every failure the gateway reports to a client is one of these; the
 * error middleware (http/error-middleware.ts) is the only place that renders them, always in the
 * OpenAI error shape: { error: { message, type, param, code } }.
 */

export type OpenAIErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'rate_limit_error'
  | 'insufficient_quota'
  | 'conflict_error'
  | 'api_error'
  | 'upstream_error'
  | 'timeout_error'
  | 'service_unavailable';

export interface GatewayErrorOptions {
  param?: string | null;
  code?: string | null;
  /** Whether another attempt (same or another deployment) could succeed. */
  retryable?: boolean;
  /** Extra response headers, e.g. Retry-After on 429. */
  headers?: Record<string, string>;
  cause?: unknown;
}

export class GatewayError extends Error {
  readonly status: number;
  readonly type: OpenAIErrorType;
  readonly param: string | null;
  readonly code: string | null;
  readonly retryable: boolean;
  readonly headers: Record<string, string> | undefined;

  constructor(status: number, type: OpenAIErrorType, message: string, opts: GatewayErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.status = status;
    this.type = type;
    this.param = opts.param ?? null;
    this.code = opts.code ?? null;
    this.retryable = opts.retryable ?? false;
    this.headers = opts.headers;
  }

  toBody(): { error: { message: string; type: string; param: string | null; code: string | null } } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/** 400: the request is malformed or asks for something the chosen model cannot do. */
export class InvalidRequestError extends GatewayError {
  constructor(message: string, opts: GatewayErrorOptions = {}) {
    super(400, 'invalid_request_error', message, { code: 'invalid_request', ...opts });
  }
}

/** 400: a parameter the provider behind the model cannot honour. Never silently dropped. */
export class UnsupportedParameterError extends GatewayError {
  constructor(param: string, provider: string, detail?: string) {
    super(
      400,
      'invalid_request_error',
      `Parameter '${param}' is not supported by the ${provider} provider${detail ? `: ${detail}` : '.'}`,
      { param, code: 'unsupported_parameter' },
    );
  }
}

export class PayloadTooLargeError extends GatewayError {
  constructor(limitBytes: number) {
    super(413, 'invalid_request_error', `Request body exceeds the limit of ${limitBytes} bytes.`, {
      code: 'request_too_large',
    });
  }
}

export class AuthenticationError extends GatewayError {
  constructor(message = 'Invalid API key. Pass a Tollgate key as "Authorization: Bearer <key>".', code = 'invalid_api_key') {
    super(401, 'authentication_error', message, { code });
  }
}

export class PermissionError extends GatewayError {
  constructor(message: string, code = 'forbidden') {
    super(403, 'permission_error', message, { code });
  }
}

export class NotFoundError extends GatewayError {
  constructor(message: string, code = 'not_found', param: string | null = null) {
    super(404, 'not_found_error', message, { code, param });
  }
}

export class ModelNotFoundError extends NotFoundError {
  constructor(model: string) {
    super(`The model '${model}' does not exist or is not enabled.`, 'model_not_found', 'model');
  }
}

export class ConflictError extends GatewayError {
  constructor(message: string, code = 'conflict') {
    super(409, 'conflict_error', message, { code });
  }
}

export class InsufficientCreditsError extends GatewayError {
  constructor(message: string) {
    super(402, 'insufficient_quota', message, { code: 'insufficient_credits' });
  }
}

export class RateLimitError extends GatewayError {
  constructor(message: string, retryAfterSeconds: number, headers: Record<string, string> = {}, code = 'rate_limit_exceeded') {
    super(429, 'rate_limit_error', message, {
      code,
      headers: { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))), ...headers },
    });
  }
}

/**
 * An upstream provider answered with an error, or could not be reached. `status` is what the
 * client sees; `upstreamStatus` is what the provider said (0 when no response arrived).
 */
export class UpstreamError extends GatewayError {
  readonly upstreamStatus: number;
  /** Seconds the provider asked us to wait (Retry-After), when it said so. */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    status: number,
    type: OpenAIErrorType,
    message: string,
    opts: GatewayErrorOptions & { upstreamStatus: number; retryAfterSeconds?: number },
  ) {
    super(status, type, message, opts);
    this.upstreamStatus = opts.upstreamStatus;
    this.retryAfterSeconds = opts.retryAfterSeconds;
  }
}

export class UpstreamTimeoutError extends UpstreamError {
  constructor(message: string, phase: 'connect' | 'first_byte' | 'total') {
    super(504, 'timeout_error', message, { upstreamStatus: 0, code: `upstream_timeout_${phase}`, retryable: true });
  }
}

export class ServiceUnavailableError extends GatewayError {
  constructor(message: string, code = 'service_unavailable', retryAfterSeconds?: number) {
    super(503, 'service_unavailable', message, {
      code,
      headers: retryAfterSeconds ? { 'retry-after': String(retryAfterSeconds) } : undefined,
    });
  }
}

export class InternalError extends GatewayError {
  constructor(message = 'The gateway hit an internal error.', cause?: unknown) {
    super(500, 'api_error', message, { code: 'internal_error', cause });
  }
}

/** Wraps anything thrown into a GatewayError without leaking internals to the client. */
export function toGatewayError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  return new InternalError(undefined, err);
}
