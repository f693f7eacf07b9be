import { describe, expect, it } from 'vitest';
import type { TestGateway } from '../helpers/gateway.js';
import { useGatewayHarness } from '../helpers/harness.js';

let gw: TestGateway;
let key: string;
useGatewayHarness({}, (h) => ({ gw, key } = h));

const post = (path: string, headers: Record<string, string> = {}) =>
  fetch(`${gw.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{}' });

/** Each ingress answers in its own error shape, also for what is refused before its pipeline starts. */
const shapes = [
  ['OpenAI', '/v1/chat/completions', (b: any) => expect(b.error).toMatchObject({ message: expect.any(String), type: expect.any(String) })],
  ['Anthropic', '/v1/messages', (b: any) => expect(b).toMatchObject({ type: 'error', error: { type: expect.any(String), message: expect.any(String) } })],
  ['Gemini', '/v1beta/models/some-model:generateContent', (b: any) => expect(b.error).toMatchObject({ code: expect.any(Number), message: expect.any(String), status: expect.any(String) })],
] as const;

describe('refusals before the pipeline speak the ingress dialect', () => {
  it.each(shapes)('a NUL character in the URL (%s)', async (_name, path, check) => {
    const res = await post(`${path}?x=%00`, { authorization: `Bearer ${key}` });
    expect(res.status).toBe(400);
    check(await res.json());
  });

  it.each(shapes)('the shutdown gate (%s)', async (_name, path, check) => {
    gw.gw.lifecycle.shuttingDown = true;
    try {
      const res = await post(path, { authorization: `Bearer ${key}` });
      expect(res.status).toBeGreaterThanOrEqual(500);
      expect(res.headers.get('retry-after')).toBe('1');
      check(await res.json());
    } finally {
      gw.gw.lifecycle.shuttingDown = false;
    }
  });
});
