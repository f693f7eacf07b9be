import type { ErrorKind, GatewayError } from '../../errors.js';
import type { WireError } from '../../pipeline/dialect.js';
import { errorHeaders } from '../errors.js';

/**
 * How the gateway's errors reach an Anthropic client: Anthropic's statuses and its error shape
 * { type: 'error', error: { type, message } }. Out of credits is Anthropic's 402 billing_error;
 * anything that cannot take the request now (overload, an open breaker, shutdown) is its
 * 529 overloaded_error, which the Anthropic SDKs retry.
 */
const ANTHROPIC_ERROR: Readonly<Record<ErrorKind, { status: number; type: string }>> = {
  invalid_request: { status: 400, type: 'invalid_request_error' },
  payload_too_large: { status: 413, type: 'request_too_large' },
  authentication: { status: 401, type: 'authentication_error' },
  permission: { status: 403, type: 'permission_error' },
  not_found: { status: 404, type: 'not_found_error' },
  conflict: { status: 409, type: 'conflict_error' },
  unprocessable: { status: 422, type: 'invalid_request_error' },
  insufficient_credits: { status: 402, type: 'billing_error' },
  rate_limited: { status: 429, type: 'rate_limit_error' },
  upstream: { status: 502, type: 'api_error' },
  timeout: { status: 504, type: 'timeout_error' },
  unavailable: { status: 529, type: 'overloaded_error' },
  internal: { status: 500, type: 'api_error' },
};

export function anthropicErrorBody(err: GatewayError): string {
  return JSON.stringify({ type: 'error', error: { type: ANTHROPIC_ERROR[err.kind].type, message: err.message } });
}

export function anthropicError(err: GatewayError): WireError {
  return { status: ANTHROPIC_ERROR[err.kind].status, body: anthropicErrorBody(err), headers: errorHeaders(err) };
}
