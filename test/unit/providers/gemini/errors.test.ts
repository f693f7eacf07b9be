import { describe, expect, it } from 'vitest';
import { errorHeaders } from '../../../../src/http/errors.js';
import { parseGeminiError } from '../../../../src/providers/gemini/errors.js';
import { fixture } from './support.js';

describe('Gemini error mapping', () => {
  it('treats API_KEY_INVALID (sent as 400) as the gateway upstream credential failure: 502', () => {
    const e = parseGeminiError(400, fixture('error-api-key-invalid.json'), {});
    expect(e).toMatchObject({ kind: 'upstream', code: 'upstream_auth_failed', retryable: false });
    expect(e.message).toBe('Gemini: API key not valid. Please pass a valid API key. (INVALID_ARGUMENT)');
  });

  it('keeps other 400s as the client’s invalid request', () => {
    const e = parseGeminiError(400, fixture('error-invalid-argument.json'), {});
    expect(e).toMatchObject({ kind: 'invalid_request', code: 'upstream_invalid_request' });
  });

  it('takes the wait from RetryInfo when there is no Retry-After header', () => {
    const e = parseGeminiError(429, fixture('error-rate-limited.json'), {});
    expect(e).toMatchObject({ kind: 'rate_limited', code: 'upstream_rate_limited', retryable: true, retryAfterSeconds: 27 });
    expect(errorHeaders(e)).toEqual({ 'retry-after': '27' });
    expect(parseGeminiError(429, fixture('error-rate-limited.json'), { 'retry-after': '3' }).retryAfterSeconds).toBe(3);
  });

  it('maps 503 UNAVAILABLE and 500 INTERNAL as retryable upstream failures', () => {
    const body = (code: number, status: string) => JSON.stringify({ error: { code, message: 'boom', status } });
    expect(parseGeminiError(503, body(503, 'UNAVAILABLE'), {})).toMatchObject({ kind: 'unavailable', code: 'upstream_unavailable', retryable: true });
    expect(parseGeminiError(500, body(500, 'INTERNAL'), {})).toMatchObject({ kind: 'upstream', code: 'upstream_server_error', retryable: true });
    expect(parseGeminiError(403, body(403, 'PERMISSION_DENIED'), {})).toMatchObject({ kind: 'upstream', code: 'upstream_permission_denied' });
  });

  it('reads the array-wrapped form and survives bodies that are not JSON', () => {
    const wrapped = JSON.stringify([{ error: { code: 404, message: 'models/nope is not found for API version v1beta', status: 'NOT_FOUND' } }]);
    expect(parseGeminiError(404, wrapped, {})).toMatchObject({ kind: 'upstream', code: 'upstream_not_found', message: 'Gemini: models/nope is not found for API version v1beta (NOT_FOUND)' });
    const html = parseGeminiError(502, '<html><body>Bad Gateway</body></html>', {});
    expect(html).toMatchObject({ kind: 'upstream', code: 'upstream_bad_gateway' });
    expect(html.message).toContain('HTTP 502: <html>');
  });
});
