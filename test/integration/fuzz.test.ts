import { describe, expect, it } from 'vitest';
import { CHAT_MODELS } from '../helpers/catalogue.js';
import { TEST_ADMIN_TOKEN } from '../helpers/env.js';
import type { TestGateway } from '../helpers/gateway.js';
import { useGatewayHarness } from '../helpers/harness.js';

let gw: TestGateway;
let key: string;
useGatewayHarness({ env: { CLIENT_HEADERS_TIMEOUT_MS: '2000', CLIENT_REQUEST_TIMEOUT_MS: '5000' } }, (h) => ({ gw, key } = h));

/** A small seeded generator (mulberry32), so a failure names a seed that reproduces it. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T,>(xs: readonly T[]): T => xs[int(xs.length)]!;
  return { next, int, pick };
}
type Rng = ReturnType<typeof rng>;

const HOSTILE_STRINGS = [
  '', ' ', 'a'.repeat(70_000), '\u0000', 'x\u0000y', '\ud800', '\udfff\ud800', '%', '%zz', '%00', '%ED%A0%80', '../../etc/passwd', '{{7*7}}', "' OR 1=1 --",
  '<script>alert(1)</script>', '__proto__', 'constructor', '😀'.repeat(1000), '\r\nx-injected: 1', 'null', '-1', '1e309', 'NaN', '9'.repeat(400),
] as const;
const HOSTILE_NUMBERS = [0, -1, -0, 1e308, -1e308, 2 ** 53 + 1, 0.5, 1e-300, Number.MAX_SAFE_INTEGER] as const;
const FIELDS = ['model', 'messages', 'input', 'role', 'content', 'stream', 'max_tokens', 'temperature', 'tools', 'n', 'name', 'id', 'email', 'kind', 'price', 'keys',
  'initialCredits', 'amount', 'planId', 'fallbacks', 'enabled', 'alias', 'providerId', 'upstreamModel', 'contextWindow', 'maxOutputTokens', '__proto__', 'constructor'] as const;

/** A JSON value: hostile scalars, wrong types, deep or wide structures. */
function value(r: Rng, depth = 0): unknown {
  const roll = r.int(depth > 4 ? 4 : 8);
  if (roll === 0) return r.pick(HOSTILE_STRINGS);
  if (roll === 1) return r.pick(HOSTILE_NUMBERS);
  if (roll === 2) return r.pick([true, false, null]);
  if (roll === 3) return r.pick(['gpt-4o-mini', CHAT_MODELS.anthropic, 'user', 'assistant', 'hello']);
  if (roll <= 5) return Array.from({ length: r.int(4) }, () => value(r, depth + 1));
  const o: Record<string, unknown> = {};
  for (let i = r.int(5); i > 0; i--) o[r.pick(FIELDS)] = value(r, depth + 1);
  return o;
}

/** A raw body: usually JSON (sometimes a near-valid chat request), sometimes broken or nested 100k deep. */
function body(r: Rng): string {
  const roll = r.int(10);
  if (roll === 0) return `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
  if (roll === 1) return `{"model":"${CHAT_MODELS.openai}","messages":[{"role":"user","content":"hi"}],"x":${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}}`;
  if (roll === 2) return r.pick(['{', 'nul\u0000l', '[1,]', '"\\ud800"', '{"a":1}{"b":2}', '\xff\xfe']);
  if (roll <= 5) {
    const chat: Record<string, unknown> = { model: r.pick([CHAT_MODELS.openai, CHAT_MODELS.anthropic, r.pick(HOSTILE_STRINGS)]), messages: [{ role: 'user', content: 'fuzz' }] };
    for (let i = r.int(3); i >= 0; i--) chat[r.pick(FIELDS)] = value(r);
    return JSON.stringify(chat);
  }
  return JSON.stringify(value(r));
}

/** Percent-encodes, keeping a lone surrogate as the malformed escape a hostile client would send. */
const encode = (s: string) => {
  try {
    return encodeURIComponent(s);
  } catch {
    return '%ED%A0%80';
  }
};

function queryString(r: Rng): string {
  const parts: string[] = [];
  for (let i = r.int(4); i > 0; i--) {
    const k = r.pick(['q', 'from', 'to', 'limit', 'tag', 'tag', 'scope', 'status', 'model', 'bucket', 'groupBy', 'before', 'minutes', 'q[a]', 'tag[]']);
    parts.push(`${k}=${r.pick([encode(r.pick(HOSTILE_STRINGS)), r.pick(HOSTILE_STRINGS).replace(/[\r\n#?&]/g, ''), '-000001-01-01T00:00:00Z', '%'])}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

const PUBLIC: [string, string][] = [
  ['POST', '/v1/chat/completions'], ['POST', '/v1/embeddings'], ['GET', '/v1/models'], ['GET', '/v1/models/:x'], ['GET', '/v1/credits'],
  ['GET', '/v1/usage'], ['GET', '/v1/requests/:x'],
];
const ADMIN: [string, string][] = [
  ['GET', '/accounts'], ['GET', '/accounts/:x'], ['GET', '/accounts/:x/ledger'], ['POST', '/accounts/:x/grants'], ['POST', '/accounts/:x/adjustments'],
  ['GET', '/health'], ['GET', '/keys'], ['DELETE', '/keys/:x'], ['GET', '/models'], ['POST', '/models'], ['GET', '/models/:x'], ['PATCH', '/models/:x'],
  ['DELETE', '/models/:x'], ['GET', '/models/:x/prices'], ['POST', '/models/:x/prices'], ['GET', '/plans'], ['POST', '/plans'], ['GET', '/plans/:x'],
  ['PATCH', '/plans/:x'], ['DELETE', '/plans/:x'], ['GET', '/providers'], ['GET', '/providers/:x'], ['PATCH', '/providers/:x'], ['DELETE', '/providers/:x'],
  ['POST', '/providers/:x/keys'], ['PATCH', '/providers/:x/keys/:x'], ['DELETE', '/providers/:x/keys/:x'], ['GET', '/requests'], ['GET', '/requests/:x'],
  ['GET', '/stats/usage'], ['GET', '/usage'], ['GET', '/users'], ['POST', '/users'], ['GET', '/users/:x'], ['PATCH', '/users/:x'], ['GET', '/users/:x/keys'],
  ['POST', '/users/:x/keys'],
];

/** A path parameter: never an id the seeded catalogue uses, so no fuzzed write reaches a real provider. */
const param = (r: Rng) => r.pick(['fuzz-x', '00000000-0000-0000-0000-000000000000', 'not-a-uuid', '%00', '%ED%A0%80', '%', '..%2F..', 'a'.repeat(300), '%F0%9F%98%80', '1e309']);

function request(r: Rng): { method: string; url: string; headers: Record<string, string>; body?: string } {
  const admin = r.int(2) === 0;
  const [method, route] = r.pick(admin ? ADMIN : PUBLIC);
  const path = (admin ? '/admin/api' : '') + route.replace(/:x/g, () => param(r)) + queryString(r);
  const headers: Record<string, string> = { authorization: `Bearer ${admin ? TEST_ADMIN_TOKEN : key}` };
  const h = r.int(8);
  if (h === 0) headers.authorization = r.pick(['Bearer', 'Bearer ', 'Basic abc', `Bearer ${key}x`, `Bearer ${'k'.repeat(5000)}`]);
  if (h === 1) headers['x-tollgate-tags'] = r.pick(['a=%', 'a=%00', 'a='.repeat(40), `${'k'.repeat(70)}=v`, 'a=b,'.repeat(30), '=,=,=']);
  if (h === 2) headers['idempotency-key'] = r.pick(['', ' ', 'é', 'k'.repeat(300), 'ok-key']);
  if (h === 3) headers['content-type'] = r.pick(['text/plain', 'application/json; charset=latin1', 'multipart/form-data; boundary=x']);
  if (h === 4) headers['x-request-id'] = r.pick(['a'.repeat(500), '../x', 'ok-id']);
  if (h === 5) headers['cache-control'] = r.pick(['no-cache', 'no-store', 'max-age=-1']);
  if (method === 'GET' || method === 'DELETE') return { method, url: path, headers };
  headers['content-type'] ??= 'application/json';
  return { method, url: path, headers, body: body(r) };
}

describe('fuzz: hostile bodies, headers and query strings on every public and admin route', () => {
  it('answers every one promptly with a 2xx or a 4xx in the OpenAI error shape, and stays alive', async () => {
    const seed = Number(process.env.FUZZ_SEED ?? 20261201);
    const r = rng(seed);
    const total = 400;
    const failures: string[] = [];
    let sent = 0;
    const worker = async () => {
      while (sent < total) {
        const n = sent++;
        const req = request(r);
        let status = 0;
        let text = '';
        try {
          // A deadline on each answer: a hang fails the test with the request that caused it.
          const res = await fetch(`${gw.url}${req.url}`, { method: req.method, headers: req.headers, body: req.body, signal: AbortSignal.timeout(20_000) });
          status = res.status;
          text = await res.text();
        } catch (err) {
          failures.push(`#${n} ${req.method} ${req.url.slice(0, 120)}: ${(err as Error).message}`);
          continue;
        }
        const shaped = status < 400 || /"error":\{"message":/.test(text);
        if (status >= 500 || !shaped) failures.push(`#${n} ${req.method} ${req.url.slice(0, 120)} → ${status} ${text.slice(0, 200)}`);
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    expect(failures, `seed ${seed}`).toEqual([]);
    expect((await fetch(`${gw.url}/health`)).status).toBe(200);
    const ok = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: CHAT_MODELS.openai, messages: [{ role: 'user', content: 'still there?' }] }),
    });
    expect(ok.status).toBe(200);
  }, 180_000);
});
