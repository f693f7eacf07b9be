import type { UpstreamError } from '../../errors.js';
import { headerValue, tryParseJson, upstreamError } from '../shared/errors.js';
import type { ResponseHeaders } from '../types.js';

interface WireError {
  error?: { message?: string; type?: string; code?: string | null; param?: string | null } | string;
  message?: string | Record<string, unknown>;
  detail?: unknown;
}

/**
 * OpenAI-format error bodies: { error: { message, type, param, code } }. Mistral sends the same
 * or { message, type, code } / { detail } on validation errors; both are read here.
 */
export function parseOpenAIFormatError(provider: string, status: number, body: string, headers: ResponseHeaders): UpstreamError {
  const wire = tryParseJson(body) as WireError | undefined;
  let message = '';
  let code: string | undefined;
  let param: string | null | undefined;
  if (wire && typeof wire === 'object') {
    if (typeof wire.error === 'object' && wire.error) {
      message = wire.error.message ?? '';
      code = wire.error.code ?? undefined;
      param = wire.error.param;
    } else if (typeof wire.error === 'string') message = wire.error;
    else if (typeof wire.message === 'string') message = wire.message;
    else if (wire.message && typeof wire.message === 'object') message = JSON.stringify(wire.message);
    else if (wire.detail !== undefined) message = typeof wire.detail === 'string' ? wire.detail : JSON.stringify(wire.detail);
  }
  if (!message) message = `HTTP ${status}${body ? `: ${body.slice(0, 200)}` : ''}`;
  // A 429 for an exhausted account quota will not clear by waiting a few seconds.
  const quota = status === 429 && code === 'insufficient_quota';
  const requestId = headerValue(headers, 'x-request-id');
  return upstreamError(provider, status, headers, {
    message: requestId ? `${message} (upstream request ${requestId})` : message,
    code: quota ? 'upstream_quota_exhausted' : undefined,
    retryable: quota ? false : undefined,
    param,
  });
}
