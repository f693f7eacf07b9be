import { describe, expect, it } from 'vitest';
import { errorFromResponse, retryAfterSeconds } from '../../src/sdk/errors.js';
import { gatewayRoot, toQueryString } from '../../src/sdk/http.js';
import { APIError, formatCredits, InsufficientCreditsError, ModelNotFoundError, NotFoundError, RateLimitedError, toMicrocredits } from '../../src/sdk/index.js';
import { encodeTags, tagFilter } from '../../src/sdk/types.js';

describe('money helpers', () => {
  it('convert decimal credit strings to microcredits and back, exactly', () => {
    expect(toMicrocredits('12.5')).toBe(12_500_000n);
    expect(toMicrocredits('0.000001')).toBe(1n);
    expect(toMicrocredits('-0.25')).toBe(-250_000n);
    expect(toMicrocredits('123456789012.999999')).toBe(123_456_789_012_999_999n);
    expect(formatCredits(12_500_000n)).toBe('12.500000');
    expect(formatCredits(-1n)).toBe('-0.000001');
    expect(formatCredits(toMicrocredits('0.1') + toMicrocredits('0.2'))).toBe('0.300000');
    for (const bad of ['1.0000001', '1e3', '', 'abc', '0.1.2']) expect(() => toMicrocredits(bad)).toThrow(RangeError);
  });
});

describe('error mapping', () => {
  const headers = (h: Record<string, string> = {}) => new Headers(h);
  const body = (type: string, code: string | null) => ({ error: { message: 'm', type, param: null, code } });

  it('picks the class by status and code, and falls back to the openai classes', () => {
    expect(errorFromResponse(402, body('insufficient_quota', 'insufficient_credits'), undefined, headers())).toBeInstanceOf(InsufficientCreditsError);
    expect(errorFromResponse(404, body('not_found_error', 'model_not_found'), undefined, headers())).toBeInstanceOf(ModelNotFoundError);
    const other404 = errorFromResponse(404, body('not_found_error', 'unknown_route'), undefined, headers());
    expect(other404).toBeInstanceOf(NotFoundError);
    expect(other404).not.toBeInstanceOf(ModelNotFoundError);
    const limited = errorFromResponse(429, body('rate_limit_error', 'rate_limit_exceeded'), undefined, headers({ 'retry-after': '3' }));
    expect(limited).toMatchObject({ retryAfterSeconds: 3, code: 'rate_limit_exceeded', message: '429 m' });
    expect(limited).toBeInstanceOf(RateLimitedError);
    expect(errorFromResponse(418, undefined, 'teapot', headers())).toBeInstanceOf(APIError);
  });

  it('reads Retry-After as seconds, an HTTP date, or retry-after-ms', () => {
    expect(retryAfterSeconds(headers({ 'retry-after': '7' }))).toBe(7);
    expect(retryAfterSeconds(headers({ 'retry-after-ms': '1500' }))).toBe(1.5);
    const inTenSeconds = new Date(Date.now() + 10_000).toUTCString();
    expect(retryAfterSeconds(headers({ 'retry-after': inTenSeconds }))).toBeGreaterThanOrEqual(8);
    expect(retryAfterSeconds(headers({ 'retry-after': 'soon' }))).toBeNull();
    expect(retryAfterSeconds(headers())).toBeNull();
  });
});

describe('wire helpers', () => {
  it('encode tags for x-tollgate-tags and the usage filter', () => {
    expect(encodeTags({ team: 'search', note: 'a, b=c' })).toBe('team=search,note=a%2C%20b%3Dc');
    expect(tagFilter({ team: 'search', x: 'y' })).toEqual(['team:search', 'x:y']);
    expect(tagFilter({})).toBeUndefined();
  });

  it('repeat array query values and drop missing ones', () => {
    expect(toQueryString({ tag: ['a:1', 'b:2'], limit: 5, to: undefined, from: new Date('2026-01-02T03:04:05Z') })).toBe(
      '?tag=a%3A1&tag=b%3A2&limit=5&from=2026-01-02T03%3A04%3A05.000Z',
    );
    expect(toQueryString({})).toBe('');
  });

  it('accept the gateway address with or without /v1', () => {
    expect(gatewayRoot('http://gw:8080')).toBe('http://gw:8080');
    expect(gatewayRoot('http://gw:8080/v1/')).toBe('http://gw:8080');
    expect(gatewayRoot('https://gw.example/tollgate/v1')).toBe('https://gw.example/tollgate');
  });
});
