import type { ErrorKind, GatewayError } from '../../errors.js';
import type { WireError } from '../../pipeline/dialect.js';
import { errorHeaders, httpStatusOf } from '../errors.js';

/**
 * How the gateway's errors reach a Gemini client: Google's error shape
 * { error: { code, message, status, details } } with the gateway's HTTP status (402 included,
 * which Google never sends: the SDKs surface it by its status). `details` carries the gateway's
 * error code as an ErrorInfo reason, and the wait as RetryInfo when there is one.
 */
const STATUS: Readonly<Record<ErrorKind, string>> = {
  invalid_request: 'INVALID_ARGUMENT',
  payload_too_large: 'INVALID_ARGUMENT',
  authentication: 'UNAUTHENTICATED',
  permission: 'PERMISSION_DENIED',
  not_found: 'NOT_FOUND',
  conflict: 'ABORTED',
  unprocessable: 'INVALID_ARGUMENT',
  insufficient_credits: 'FAILED_PRECONDITION',
  rate_limited: 'RESOURCE_EXHAUSTED',
  upstream: 'INTERNAL',
  timeout: 'DEADLINE_EXCEEDED',
  unavailable: 'UNAVAILABLE',
  internal: 'INTERNAL',
};

export function googleErrorBody(err: GatewayError): { error: Record<string, unknown> } {
  const details: Record<string, unknown>[] = [
    { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: err.code ?? err.kind, domain: 'tollgate', metadata: err.param ? { param: err.param } : {} },
  ];
  if (err.retryAfterSeconds !== undefined) details.push({ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${Math.max(1, Math.ceil(err.retryAfterSeconds))}s` });
  return { error: { code: httpStatusOf(err), message: err.message, status: STATUS[err.kind], details } };
}

export function geminiError(err: GatewayError): WireError {
  return { status: httpStatusOf(err), body: JSON.stringify(googleErrorBody(err)), headers: errorHeaders(err) };
}
