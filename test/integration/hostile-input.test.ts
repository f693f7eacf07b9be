import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { CHAT_MODELS } from '../helpers/catalogue.js';
import type { TestDatabase } from '../helpers/db.js';
import { TEST_ADMIN_TOKEN } from '../helpers/env.js';
import type { TestGateway } from '../helpers/gateway.js';
import { useGatewayHarness } from '../helpers/harness.js';
import { injectFault } from '../helpers/mock-control.js';
import type { MockUpstream } from '../mock-upstream/server.js';

let db: TestDatabase;
let mock: MockUpstream;
let gw: TestGateway;
let key: string;
let accountId: string;
// Short client timeouts, so a slow client is cut within the test's patience.
useGatewayHarness({ env: { CLIENT_HEADERS_TIMEOUT_MS: '500', CLIENT_REQUEST_TIMEOUT_MS: '1500' } }, (h) => ({ db, mock, gw, key, accountId } = h));

const model = CHAT_MODELS.openai;
const chat = (body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
const get = (path: string, admin = false) => fetch(`${gw.url}${path}`, { headers: { authorization: `Bearer ${admin ? TEST_ADMIN_TOKEN : key}` } });

/** A clear 4xx in the OpenAI error shape. */
async function expectClientError(res: Response, status: number, code?: string) {
  expect(res.status).toBe(status);
  const body = (await res.json()) as { error: { message: string; type: string; code: string | null } };
  expect(body.error.message).toEqual(expect.any(String));
  expect(body.error.type).toEqual(expect.any(String));
  if (code) expect(body.error.code).toBe(code);
}

/** `depth` levels of nested arrays around `leaf`, as JSON text (built without recursion). */
const nested = (depth: number, leaf = '0') => `${'['.repeat(depth)}${leaf}${']'.repeat(depth)}`;

describe('NUL characters are a 400 at once, wherever they hide', () => {
  it.each([
    ['an admin query value', '/admin/api/keys?q=%00', true],
    ['a request id in the path', '/v1/requests/a%00b', false],
    ['a usage tag filter', '/v1/usage?tag=k:%00', false],
  ])('%s', async (_what, path, admin) => {
    await expectClientError(await get(path, admin), 400, 'invalid_character');
  });

  it('a model name in the body (no hang, no poisoned settlement)', async () => {
    await expectClientError(await chat({ model: 'm\u0000', messages: [{ role: 'user', content: 'hi' }] }), 400, 'invalid_character');
    await expectClientError(await chat({ model, messages: [{ role: 'user', content: 'a\u0000b' }] }), 400, 'invalid_character');
  });
});

describe('out-of-range values and malformed encodings are 400s', () => {
  it('a date out of range in a usage query', async () => {
    await expectClientError(await get('/v1/usage?from=-000001-01-01T00:00:00Z'), 400);
    await expectClientError(await get('/admin/api/usage?from=%2B275760-09-13T00:00:00Z', true), 400);
  });

  it('a path parameter that is not valid UTF-8', async () => {
    await expectClientError(await get('/v1/models/%ED%A0%80'), 400);
  });
});

describe('deep JSON is refused before anything walks it', () => {
  it.each([
    ['an unknown field', (d: number) => `{"model":"${model}","messages":[{"role":"user","content":"hi"}],"x":${nested(d)}}`],
    ['a tool’s parameters', (d: number) => `{"model":"${model}","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"a":${nested(d)}}}}]}`],
    ['a cacheable request (temperature 0)', (d: number) => `{"model":"${model}","temperature":0,"messages":[{"role":"user","content":"hi"}],"x":${nested(d)}}`],
  ])('100,000 levels in %s → 400', async (_what, body) => {
    await expectClientError(await chat(body(100_000)), 400, 'json_too_deep');
  });

  it('an admin body nested too deep → 400', async () => {
    const res = await fetch(`${gw.url}/admin/api/plans`, { method: 'POST', headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: `{"id":"deep","name":${nested(10_000, '"x"')}}` });
    await expectClientError(res, 400);
  });
});

describe('x-tollgate-tags', () => {
  it('a malformed percent escape → 400; a NUL in a value → 400, and no hold is left behind', async () => {
    await expectClientError(await chat({ model, messages: [{ role: 'user', content: 'hi' }] }, { 'x-tollgate-tags': 'team=%' }), 400, 'invalid_tags');
    await expectClientError(await chat({ model, messages: [{ role: 'user', content: 'hi' }] }, { 'x-tollgate-tags': 'team=%00' }), 400, 'invalid_tags');
    const [a] = await db.query<{ held: string }>('SELECT held::text FROM accounts WHERE id = $1', [accountId]);
    expect(a!.held).toBe('0');
  });
});

describe('slow and oversized clients', () => {
  it('a client that sends headers and part of a body is cut off, not kept forever', async () => {
    const { port } = new URL(gw.url);
    const socket = connect(Number(port), '127.0.0.1');
    let answer = '';
    socket.on('data', (d) => (answer += d.toString()));
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.write(`POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${key}\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"model":`);
    await closed; // the test's own timeout is the deadline
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });

  it('a 20 KB header gets a 431 in the OpenAI error shape', async () => {
    const res = await fetch(`${gw.url}/v1/models`, { headers: { authorization: `Bearer ${key}`, 'x-big': 'a'.repeat(20_000) } });
    await expectClientError(res, 431, 'headers_too_large');
  });

  it('a long stream outlives the client request timeout', async () => {
    // The simulator paces the events; this stream takes longer than CLIENT_REQUEST_TIMEOUT_MS (1.5 s).
    await injectFault(mock, { provider: 'openai', match: 'slow please', fault: { type: 'slow_events', ms: 200 } });
    const res = await chat({ model, stream: true, messages: [{ role: 'user', content: 'slow please [[reply:12]]' }] });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('data: [DONE]');
  });
});
