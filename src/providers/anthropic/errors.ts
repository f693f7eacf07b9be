import type { UpstreamError } from '../../errors.js';
import { headerValue, tryParseJson, upstreamError } from '../shared/errors.js';
import type { ResponseHeaders } from '../types.js';
import { PROVIDER_NAME } from './wire.js';

interface WireError {
  type?: string;
  error?: { type?: string; message?: string };
  request_id?: string | null;
}

/** Anthropic error bodies: { type: 'error', error: { type, message }, request_id }. */
export function parseAnthropicError(status: number, body: string, headers: ResponseHeaders): UpstreamError {
  const wire = tryParseJson(body) as WireError | undefined;
  let message = wire && typeof wire === 'object' && typeof wire.error?.message === 'string' ? wire.error.message : '';
  if (!message) message = `HTTP ${status}${body ? `: ${body.slice(0, 200)}` : ''}`;
  const requestId = (wire && typeof wire === 'object' ? wire.request_id : undefined) ?? headerValue(headers, 'request-id');
  return upstreamError(PROVIDER_NAME, status, headers, { message: requestId ? `${message} (upstream request ${requestId})` : message });
}

/**
 * The HTTP status Anthropic uses for each error type; an `event: error` inside a 200 stream carries
 * only the type, so its status is taken from here (an overload mid-stream maps like a 529).
 */
const STATUS_OF_TYPE: Readonly<Record<string, number>> = {
  invalid_request_error: 400,
  authentication_error: 401,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

/** An `event: error` received after the stream started → UpstreamError. */
export function streamErrorEvent(error: { type?: string; message?: string } | undefined): UpstreamError {
  const status = STATUS_OF_TYPE[error?.type ?? ''] ?? 500;
  return upstreamError(PROVIDER_NAME, status, {}, { message: error?.message || error?.type || 'error event in the stream' });
}
