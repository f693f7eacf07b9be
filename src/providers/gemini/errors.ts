import type { UpstreamError } from '../../errors.js';
import { headerValue, tryParseJson, upstreamError } from '../shared/errors.js';
import type { ResponseHeaders } from '../types.js';
import { GEMINI } from './endpoint.js';
import type { GeminiErrorBody } from './wire.js';

/**
 * Gemini error bodies: { error: { code, message, status, details[] } } (google.rpc.Status).
 * Streaming endpoints without alt=sse wrap it in an array; both are read.
 */
export function parseGeminiError(status: number, body: string, headers: ResponseHeaders): UpstreamError {
  const wire = tryParseJson(body) as { error?: GeminiErrorBody } | { error?: GeminiErrorBody }[] | undefined;
  const first = Array.isArray(wire) ? wire[0] : wire;
  const err = first && typeof first === 'object' && first.error && typeof first.error === 'object' ? first.error : undefined;
  return geminiError(status, err, headers, body);
}

/** One google.rpc.Status (from an HTTP error body or an error event inside a stream) → UpstreamError. */
export function geminiError(status: number, err: GeminiErrorBody | undefined, headers: ResponseHeaders, rawBody = ''): UpstreamError {
  const details = Array.isArray(err?.details) ? err.details : [];
  // A wrong or revoked key comes back as 400 INVALID_ARGUMENT with reason API_KEY_INVALID: the
  // same failure as a 401 elsewhere, and the gateway's own credential problem, not the client's.
  const keyInvalid = details.some((d) => d?.reason === 'API_KEY_INVALID');
  let message = err?.message || `HTTP ${status}${rawBody ? `: ${rawBody.slice(0, 200)}` : ''}`;
  if (err?.status) message = `${message} (${err.status})`;
  return upstreamError(GEMINI, keyInvalid ? 401 : status, withRetryInfo(headers, details), { message });
}

/** Gemini says how long to wait in a RetryInfo detail ("retryDelay": "27s"), not always in Retry-After. */
function withRetryInfo(headers: ResponseHeaders, details: NonNullable<GeminiErrorBody['details']>): ResponseHeaders {
  if (headerValue(headers, 'retry-after') !== undefined) return headers;
  const delay = details.find((d) => typeof d?.retryDelay === 'string')?.retryDelay;
  const m = delay ? /^(\d+(?:\.\d+)?)s$/.exec(delay) : null;
  return m ? { ...headers, 'retry-after': m[1] } : headers;
}
