import { outcomeStatus, type ErrorKind, type GatewayError } from '../errors.js';

/**
 * How the gateway's errors (src/errors.ts) reach an OpenAI-speaking client: an HTTP status and
 * the OpenAI error shape { error: { message, type, param, code } }.
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

const OPENAI_TYPE: Record<ErrorKind, OpenAIErrorType> = {
  invalid_request: 'invalid_request_error',
  payload_too_large: 'invalid_request_error',
  authentication: 'authentication_error',
  permission: 'permission_error',
  not_found: 'not_found_error',
  conflict: 'conflict_error',
  unprocessable: 'invalid_request_error',
  insufficient_credits: 'insufficient_quota',
  rate_limited: 'rate_limit_error',
  upstream: 'upstream_error',
  timeout: 'timeout_error',
  unavailable: 'service_unavailable',
  internal: 'api_error',
};

export function httpStatusOf(err: GatewayError): number {
  return outcomeStatus(err);
}

export interface OpenAIErrorBody {
  error: { message: string; type: OpenAIErrorType; param: string | null; code: string | null };
}

export function openAIErrorBody(err: GatewayError): OpenAIErrorBody {
  return { error: { message: err.message, type: OPENAI_TYPE[err.kind], param: err.param, code: err.code } };
}

/** Headers an error response carries: Retry-After when the error says when to retry, and its limit state. */
export function errorHeaders(err: GatewayError): Record<string, string> | undefined {
  if (err.retryAfterSeconds === undefined) return err.headers;
  return { 'retry-after': String(Math.max(1, Math.ceil(err.retryAfterSeconds))), ...err.headers };
}

