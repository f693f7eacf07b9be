import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { CacheLayout } from '../../src/cache/store.js';
import { creditsToMicros } from '../../src/credits/money.js';
import type { MockUpstream } from '../mock-upstream/server.js';
import { CHAT_MODELS, createUserWithKey } from '../helpers/catalogue.js';
import type { TestDatabase } from '../helpers/db.js';
import type { TestGateway } from '../helpers/gateway.js';
import { useGatewayHarness } from '../helpers/harness.js';
import { eventually } from '../helpers/invariants.js';
import { injectFault } from '../helpers/mock-control.js';
import { waitFor } from '../helpers/wait.js';

let db: TestDatabase;
let mock: MockUpstream;
let gw: TestGateway;
let client: OpenAI;
let key: string;
useGatewayHarness({}, (h) => ({ db, mock, gw, client, key } = h));

const model = CHAT_MODELS.openai;
let n = 0;
/** A prompt no other test uses, so entries never collide across tests. */
const fresh = (label: string) => `${label} #${++n} ${Math.random().toString(36).slice(2, 6)}`;
const upstreamCalls = (content: string) => mock.requests.filter((r) => JSON.stringify(r.body).includes(content)).length;

async function ask(content: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}, c = client) {
  const { data, response } = await c.chat.completions.create({ model, temperature: 0, messages: [{ role: 'user', content }], ...extra } as never, { headers }).withResponse();
  return { data: data as unknown as OpenAI.ChatCompletion, cache: response.headers.get('x-cache'), cost: response.headers.get('x-tollgate-cost'), id: response.headers.get('x-request-id')! };
}

/**
 * The cache write happens in the background once the answer is sent: waits until the entry
 * holding the answer `id` is in the gateway's Redis (a test expecting a HIT waits for this first).
 */
async function cached(id: string, g: TestGateway = gw): Promise<void> {
  await waitFor(async () => (await cacheEntries(g)).some(([, v]) => v?.includes(`"${id}"`)), { what: `the cached answer ${id}` });
}

/** Every entry in the gateway's Redis cache, as [key, sealed value], read through the cache's index shards. */
async function cacheEntries(g: TestGateway): Promise<[string, string | null][]> {
  const redis = g.redis!;
  const entries: [string, string | null][] = [];
  for (const index of new CacheLayout(g.gw.env.REDIS_KEY_PREFIX, g.gw.env.CACHE_MAX_ENTRIES).indexes()) {
    const keys = await redis.zrange(index, 0, -1);
    const values = keys.length > 0 ? await redis.mget(...keys) : [];
    keys.forEach((k, i) => entries.push([k, values[i] ?? null]));
  }
  return entries;
}

/**
 * Makes "not stored" checks meaningful: asks a fresh cacheable question and waits for its entry.
 * Cache writes go to Redis over one connection, in order, so a write wrongly issued before this
 * one (for an error, a cut stream, a no-store answer) would have landed by then.
 */
async function pendingCacheWritesLanded(): Promise<void> {
  await cached((await ask(fresh('barrier'))).data.id);
}

describe('response cache', () => {
  it('answers a repeated deterministic request from the cache, free, and records the hit', async () => {
    const p = fresh('cache me');
    const a = await ask(p);
    await cached(a.data.id);
    const b = await ask(p);
    expect([a.cache, b.cache]).toEqual(['MISS', 'HIT']);
    expect(b.data).toEqual(a.data);
    expect(b.cost).toBe('0.000000');
    expect(upstreamCalls(p)).toBe(1);
    const row = await waitFor(async () => (await db.query<{ cache_hit: boolean; cost: string; served_model: string }>('SELECT cache_hit, cost::text, served_model FROM requests WHERE id = $1', [b.id]))[0], { what: `the request row of ${b.id}` });
    expect(row).toEqual({ cache_hit: true, cost: '0', served_model: model });
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metrics).toMatch(/tollgate_cache_requests_total\{model="gpt-4o-mini",result="hit"\} [1-9]/);
  });

  it('keys on the canonical request: JSON key order does not matter, tools and response format do', async () => {
    const p = fresh('order');
    const post = async (body: string) => {
      const r = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body });
      return { cache: r.headers.get('x-cache'), id: ((await r.json()) as { id: string }).id };
    };
    const first = await post(`{"model":"${model}","temperature":0,"messages":[{"role":"user","content":"${p}"}]}`);
    expect(first.cache).toBe('MISS');
    await cached(first.id);
    expect((await post(`{"messages":[{"content":"${p}","role":"user"}],"temperature":0,"model":"${model}"}`)).cache).toBe('HIT');
    const tools = [{ type: 'function', function: { name: 'f', parameters: { type: 'object', properties: {} } } }];
    const withTools = await ask(p, { tools });
    expect(withTools.cache).toBe('MISS');
    await cached(withTools.data.id);
    expect((await ask(p, { response_format: { type: 'json_object' } })).cache).toBe('MISS');
    expect((await ask(p, { max_tokens: 50 })).cache).toBe('MISS');
    expect((await ask(p, { tools })).cache).toBe('HIT');
  });

  it('skips non-deterministic requests unless the caller opts in', async () => {
    const p = fresh('creative');
    const r = await client.chat.completions.create({ model, messages: [{ role: 'user', content: p }] }).withResponse();
    expect(r.response.headers.get('x-cache')).toBe('BYPASS');
    const forced = await ask(p, { temperature: 0.9 }, { 'x-tollgate-cache': 'force' });
    expect(forced.cache).toBe('MISS');
    await cached(forced.data.id);
    expect((await ask(p, { temperature: 0.9 }, { 'x-tollgate-cache': 'force' })).cache).toBe('HIT');
  });

  it('Cache-Control: no-cache bypasses the lookup; no-store keeps the answer out', async () => {
    const p = fresh('cc');
    await ask(p);
    expect((await ask(p, {}, { 'cache-control': 'no-cache' })).cache).toBe('MISS');
    expect(upstreamCalls(p)).toBe(2);
    const q = fresh('nostore');
    expect((await ask(q, {}, { 'cache-control': 'no-store' })).cache).toBe('BYPASS');
    await pendingCacheWritesLanded();
    expect((await ask(q)).cache).toBe('MISS');
  });

  it('replays a cached answer as a stream, and a streamed answer as JSON', async () => {
    const p = fresh('replay');
    const first = await ask(`${p} [[reply:6]]`);
    await cached(first.data.id);
    const s = await client.chat.completions.create({ model, temperature: 0, stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: `${p} [[reply:6]]` }] }).withResponse();
    expect(s.response.headers.get('x-cache')).toBe('HIT');
    let text = '';
    let last: any;
    for await (const c of s.data) {
      text += c.choices[0]?.delta.content ?? '';
      last = c;
    }
    expect(text).toBe(first.data.choices[0]!.message.content);
    expect(last.usage).toMatchObject({ completion_tokens: 6 });
    expect(last.x_tollgate).toMatchObject({ cost: '0.000000', cache: 'HIT' });

    const q = fresh('streamed first');
    const streamed = await client.chat.completions.stream({ model, temperature: 0, messages: [{ role: 'user', content: q }] }).finalChatCompletion();
    await cached(streamed.id);
    const again = await ask(q);
    expect(again.cache).toBe('HIT');
    expect(again.data.choices[0]!.message.content).toBe(streamed.choices[0]!.message.content);
  });

  it('never stores an error or a cut stream', async () => {
    const p = fresh('broken');
    await injectFault(mock, { provider: 'openai', match: p, times: 3, fault: { type: 'status', status: 500 } });
    await ask(p).catch(() => undefined);
    await pendingCacheWritesLanded();
    expect((await ask(p)).cache).toBe('MISS');

    const q = fresh('cut');
    await injectFault(mock, { provider: 'openai', match: q, fault: { type: 'cut_stream', afterEvents: 3 } });
    await (async () => {
      for await (const _ of await client.chat.completions.create({ model, temperature: 0, stream: true, messages: [{ role: 'user', content: `${q} [[reply:10]]` }] }));
    })().catch(() => undefined);
    await pendingCacheWritesLanded();
    expect((await ask(`${q} [[reply:10]]`)).cache).toBe('MISS');
  });

  it('is scoped per account', async () => {
    const p = fresh('mine');
    await cached((await ask(p)).data.id);
    const other = await createUserWithKey(gw, { credits: '1' });
    const c2 = new OpenAI({ apiKey: other.key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const theirs = await ask(p, {}, {}, c2);
    expect(theirs.cache).toBe('MISS');
    await cached(theirs.data.id);
    expect((await ask(p, {}, {}, c2)).cache).toBe('HIT');
  });

  it('honours the model cache TTL, and a TTL of 0 turns caching off for the model', async () => {
    const ttlSeconds = 2;
    await gw.admin('POST', '/models', { alias: 'short-ttl', providerId: 'openai', upstreamModel: 'gpt-short', contextWindow: 1000, maxOutputTokens: 100, cacheTtlSeconds: ttlSeconds, price: { inputPerMtok: '1', outputPerMtok: '1' } });
    await gw.admin('POST', '/models', { alias: 'no-cache', providerId: 'openai', upstreamModel: 'gpt-nocache', contextWindow: 1000, maxOutputTokens: 100, cacheTtlSeconds: 0, price: { inputPerMtok: '1', outputPerMtok: '1' } });
    const p = fresh('ttl');
    const first = await ask(p, { model: 'short-ttl' });
    expect(first.cache).toBe('MISS');
    await cached(first.data.id);
    const storedBy = Date.now();
    expect((await ask(p, { model: 'short-ttl' })).cache).toBe('HIT');
    // Letting the TTL run out is the scenario itself, so this wait stays: the entry was written
    // before storedBy, so Redis has expired it by storedBy + TTL — a bound the sleep cannot lose.
    await new Promise((r) => setTimeout(r, storedBy + ttlSeconds * 1000 + 50 - Date.now()));
    expect((await ask(p, { model: 'short-ttl' })).cache).toBe('MISS');
    expect((await ask(p, { model: 'no-cache' })).cache).toBe('BYPASS');
  });
});

describe('cache hit charge policy', () => {
  it('charges the configured share of the full price for a hit (here 50%, rounded up once)', async () => {
    // A gateway of its own with CACHE_HIT_CHARGE_PERCENT=50, on the same database.
    const { startTestGateway } = await import('../helpers/gateway.js');
    const half = await startTestGateway({ databaseUrl: db.url, env: { CACHE_HIT_CHARGE_PERCENT: '50' } });
    try {
      const c = new OpenAI({ apiKey: key, baseURL: `${half.url}/v1`, maxRetries: 0 });
      const p = fresh('half price');
      const a = await ask(p, {}, {}, c);
      await cached(a.data.id, half);
      const b = await ask(p, {}, {}, c);
      expect(b.cache).toBe('HIT');
      const full = creditsToMicros(a.cost!);
      expect(full).toBeGreaterThan(0n);
      expect(creditsToMicros(b.cost!)).toBe((full + 1n) / 2n);
    } finally {
      await half.close();
    }
  });
});

describe('the cache meets Idempotency-Key', () => {
  it('answers a repeated key from the first request (before any cache lookup) and never charges it twice, even when hits are charged', async () => {
    const { startTestGateway } = await import('../helpers/gateway.js');
    const priced = await startTestGateway({ databaseUrl: db.url, env: { CACHE_HIT_CHARGE_PERCENT: '100' } });
    try {
      const c = new OpenAI({ apiKey: key, baseURL: `${priced.url}/v1`, maxRetries: 0 });
      const p = fresh('idempotent and cached');
      const idem = { 'Idempotency-Key': `idem-${p.replace(/\W/g, '')}` };
      const first = await c.chat.completions.create({ model, temperature: 0, messages: [{ role: 'user', content: p }] }, { headers: idem }).withResponse();
      const again = await c.chat.completions.create({ model, temperature: 0, messages: [{ role: 'user', content: p }] }, { headers: idem }).withResponse();
      const firstId = first.response.headers.get('x-request-id');
      expect(again.response.headers.get('idempotent-replayed')).toBe('true');
      expect(again.response.headers.get('x-tollgate-original-request-id')).toBe(firstId);
      expect(again.data).toEqual(first.data);
      // One request row, one charge: the repeat is neither a cache hit nor a request of its own.
      // Request rows and charges are written by the settlers after the response: wait for the first one's.
      await eventually(async () => (await db.query('SELECT 1 FROM ledger WHERE request_id = $1', [firstId])).length === 1);
      const rows = await db.query<{ id: string; cache_hit: boolean }>(`SELECT id, cache_hit FROM requests WHERE idempotency_key = $1 OR id = $2`, [idem['Idempotency-Key'], again.response.headers.get('x-request-id')]);
      expect(rows).toEqual([{ id: firstId, cache_hit: false }]);
      const charges = await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM ledger WHERE request_id IN ($1, $2)`, [firstId, again.response.headers.get('x-request-id')]);
      expect(charges).toEqual([{ n: '1' }]);

      // A cache hit that carries a key of its own stores its answer under that key too.
      const hitKey = { 'Idempotency-Key': `hit-${p.replace(/\W/g, '')}` };
      const hit = await c.chat.completions.create({ model, temperature: 0, messages: [{ role: 'user', content: p }] }, { headers: hitKey }).withResponse();
      expect(hit.response.headers.get('x-cache')).toBe('HIT');
      const hitAgain = await c.chat.completions.create({ model, temperature: 0, messages: [{ role: 'user', content: p }] }, { headers: hitKey }).withResponse();
      expect(hitAgain.response.headers.get('idempotent-replayed')).toBe('true');
      expect(hitAgain.response.headers.get('x-tollgate-original-request-id')).toBe(hit.response.headers.get('x-request-id'));
    } finally {
      await priced.close();
    }
  });
});

describe('the cache does not trust Redis', () => {
  it('an answer rewritten in Redis is never served: it is a miss, and the real answer replaces it', async () => {
    const p = fresh('tamper with me');
    const a = await ask(p);
    await cached(a.data.id);
    const [name, value] = (await cacheEntries(gw)).find(([, v]) => v?.includes(`"${a.data.id}"`))!;
    // A writer with access to Redis swaps the answer's text for its own.
    const original = (a.data.choices[0]!.message.content ?? '') as string;
    await gw.redis!.set(name, value!.replace(JSON.stringify(original).slice(1, -1), 'planted by whoever writes to Redis'), 'KEEPTTL');
    const b = await ask(p);
    expect(b.cache).toBe('MISS');
    expect(b.data.choices[0]!.message.content).toBe(original);
  });
});
