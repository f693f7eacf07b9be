import { describe, expect, it } from 'vitest';
import { errorHeaders } from '../../../../src/http/errors.js';
import { anthropic } from '../../../../src/providers/anthropic/index.js';
import { fixture } from './support.js';

describe('Anthropic error bodies → gateway errors', () => {
  it('maps 529 overloaded_error to a retryable 503 with Retry-After, keeping the message and request id', () => {
    const err = anthropic.parseError(529, fixture('error-overloaded.json'), {});
    expect(err).toMatchObject({ kind: 'unavailable', code: 'upstream_overloaded', retryable: true, upstreamStatus: 529 });
    expect(err.message).toBe('Anthropic: Overloaded (upstream request req_011CSHoEeqs5C35K2UUqR7Fy)');
    expect(errorHeaders(err)).toEqual({ 'retry-after': '1' });
  });

  it("maps 429 to 429 and honours the provider's retry-after", () => {
    const err = anthropic.parseError(429, fixture('error-rate-limit.json'), { 'retry-after': '12', 'request-id': 'req_hdr' });
    expect(err).toMatchObject({ kind: 'rate_limited', retryAfterSeconds: 12 });
    expect(err.message).toBe('Anthropic: This request would exceed the rate limit for your organization of 50 requests per minute. (upstream request req_hdr)');
  });

  it('keeps a 400 as the caller\'s error with the provider message', () => {
    const err = anthropic.parseError(400, fixture('error-invalid-request.json'), {});
    expect(err).toMatchObject({ kind: 'invalid_request', retryable: false });
    expect(err.message).toContain('Each `tool_result` block must have a corresponding `tool_use` block');
  });

  it("blames the gateway's upstream configuration, not the caller, for a rejected provider key", () => {
    const body = JSON.stringify({ type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } });
    expect(anthropic.parseError(401, body, {})).toMatchObject({ kind: 'upstream', code: 'upstream_auth_failed' });
  });

  it('reads a body that is not JSON (a proxy page) without failing', () => {
    const err = anthropic.parseError(502, '<html><body>502 Bad Gateway</body></html>', {});
    expect(err).toMatchObject({ kind: 'upstream', retryable: true });
    expect(err.message).toBe('Anthropic: HTTP 502: <html><body>502 Bad Gateway</body></html>');
    expect(anthropic.parseError(500, '', {}).message).toBe('Anthropic: HTTP 500');
  });
});
