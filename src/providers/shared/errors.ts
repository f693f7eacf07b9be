import { UpstreamError, type ErrorKind } from '../../errors.js';
import type { ResponseHeaders } from '../types.js';

interface Mapping {
  kind: ErrorKind;
  code: string;
  retryable: boolean;
}

/**
 * How a provider's HTTP status reaches the client. The client's request was fine when the
 * provider rejects the gateway's own credentials or model id, so those are upstream failures
 * (the gateway's upstream is misconfigured), not 401/404 that would blame the caller's key or model.
 */
const BY_STATUS: Record<number, Mapping> = {
  400: { kind: 'invalid_request', code: 'upstream_invalid_request', retryable: false },
  401: { kind: 'upstream', code: 'upstream_auth_failed', retryable: false },
  // The gateway's own provider account is out of funds or unpaid: not the caller's fault.
  402: { kind: 'upstream', code: 'upstream_billing_error', retryable: false },
  403: { kind: 'upstream', code: 'upstream_permission_denied', retryable: false },
  404: { kind: 'upstream', code: 'upstream_not_found', retryable: false },
  408: { kind: 'timeout', code: 'upstream_timeout', retryable: true },
  409: { kind: 'upstream', code: 'upstream_conflict', retryable: true },
  413: { kind: 'payload_too_large', code: 'request_too_large', retryable: false },
  422: { kind: 'invalid_request', code: 'upstream_invalid_request', retryable: false },
  429: { kind: 'rate_limited', code: 'upstream_rate_limited', retryable: true },
  500: { kind: 'upstream', code: 'upstream_server_error', retryable: true },
  502: { kind: 'upstream', code: 'upstream_bad_gateway', retryable: true },
  503: { kind: 'unavailable', code: 'upstream_unavailable', retryable: true },
  504: { kind: 'timeout', code: 'upstream_timeout', retryable: true },
  529: { kind: 'unavailable', code: 'upstream_overloaded', retryable: true },
};

function mappingFor(status: number): Mapping {
  const m = BY_STATUS[status];
  if (m) return m;
  if (status >= 500) return { kind: 'upstream', code: 'upstream_server_error', retryable: true };
  return { kind: 'invalid_request', code: 'upstream_invalid_request', retryable: false };
}

export interface UpstreamErrorDetail {
  /** The provider's own message, shown to the client prefixed with the provider name. */
  message: string;
  /** Overrides the status-derived code (e.g. OpenAI's "insufficient_quota"). */
  code?: string;
  /** Overrides retryability (e.g. a 429 for an exhausted quota will not clear by retrying). */
  retryable?: boolean;
  param?: string | null;
}

export function upstreamError(providerName: string, status: number, headers: ResponseHeaders, detail: UpstreamErrorDetail): UpstreamError {
  const m = mappingFor(status);
  const retryAfterSeconds = parseRetryAfter(headers);
  // A client told "rate limited" or "unavailable" is always told when to come back, even when
  // the provider did not say (backoff still sees only what the provider said).
  const tellClient = retryAfterSeconds === undefined && (m.kind === 'rate_limited' || m.kind === 'unavailable');
  return new UpstreamError(m.kind, `${providerName}: ${detail.message}`, {
    upstreamStatus: status,
    code: detail.code ?? m.code,
    retryable: detail.retryable ?? m.retryable,
    param: detail.param ?? null,
    retryAfterSeconds,
    headers: tellClient ? { 'retry-after': '1' } : undefined,
  });
}

/** A response the provider sent that the gateway cannot read (bad JSON, missing fields). */
export function malformedResponse(providerName: string, what: string): UpstreamError {
  return new UpstreamError('upstream', `${providerName} returned a malformed response: ${what}`, {
    upstreamStatus: 200,
    code: 'upstream_malformed_response',
    retryable: true,
  });
}

/** The stream ended without the provider's end-of-stream marker: the answer is incomplete. */
export function streamCut(providerName: string): UpstreamError {
  return new UpstreamError('upstream', `${providerName} ended the stream before the response was complete.`, {
    upstreamStatus: 200,
    code: 'upstream_stream_cut',
    retryable: true,
  });
}

/** Retry-After in seconds from `retry-after` (seconds or HTTP date) or `retry-after-ms`. */
export function parseRetryAfter(headers: ResponseHeaders): number | undefined {
  const ms = headerValue(headers, 'retry-after-ms');
  if (ms && /^\d+(\.\d+)?$/.test(ms)) return Number(ms) / 1000;
  const v = headerValue(headers, 'retry-after');
  if (!v) return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, (at - Date.now()) / 1000);
}

export function headerValue(headers: ResponseHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** JSON.parse that turns failure into undefined (error bodies are often not JSON). */
export function tryParseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
