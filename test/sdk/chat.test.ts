import { describe, expect, it } from 'vitest';
import { toMicrocredits, type TollgateChatCompletionChunk } from '../../src/sdk/index.js';
import type { TestGateway } from '../helpers/gateway.js';
import { useGatewayHarness } from '../helpers/harness.js';
import { waitFor } from '../helpers/wait.js';
import { CHAT_MODEL as model, EMBEDDING_MODEL, sdkUser } from './support.js';

let gw: TestGateway;
useGatewayHarness({}, (h) => ({ gw } = h));

const hello = [{ role: 'user' as const, content: 'Hello there gateway' }];

describe('chat.completions.create', () => {
  it('returns the OpenAI completion with its cost, balance and who served it', async () => {
    const { tg } = await sdkUser(gw, '1');
    const r = await tg.chat.completions.create({ model, messages: hello });
    expect(r.choices[0]!.message.content).toBe('Mock reply to: Hello there gateway');
    expect(r.usage).toMatchObject({ prompt_tokens: 3, completion_tokens: 6 });
    expect(r.tollgate).toEqual({
      requestId: expect.any(String),
      model,
      provider: 'openai',
      cost: '0.000015', // 3 × 1 µ + 6 × 2 µ
      balance: '0.999985',
      clampedMaxTokens: null,
      replayed: false,
      estimated: null,
    });
    expect(r._request_id).toBe(r.tollgate.requestId);
    // The metadata rides along without changing the OpenAI object itself.
    expect(Object.keys(r)).not.toContain('tollgate');
    expect(JSON.parse(JSON.stringify(r))).not.toHaveProperty('tollgate');
  });

  it('keeps the openai APIPromise helpers', async () => {
    const { tg } = await sdkUser(gw, '1');
    const { data, response } = await tg.chat.completions.create({ model, messages: hello }).withResponse();
    expect(response.headers.get('x-tollgate-cost')).toBe(data.tollgate.cost);
    expect(data.tollgate.requestId).toBe(response.headers.get('x-request-id'));
  });

  it('reports when the balance made the gateway lower max_tokens', async () => {
    const { tg } = await sdkUser(gw, '0.000100');
    const r = await tg.chat.completions.create({ model, messages: hello, max_tokens: 4000 });
    expect(r.tollgate.clampedMaxTokens).toBeGreaterThan(0);
    expect(r.tollgate.clampedMaxTokens).toBeLessThan(4000);
  });
});

describe('streams', () => {
  it('yield the same chunks as openai and report cost and balance at the end', async () => {
    const { tg } = await sdkUser(gw, '1');
    const stream = await tg.chat.completions.create({ model, stream: true, messages: [{ role: 'user', content: 'x [[reply:10]]' }] });
    expect(stream.tollgate).toMatchObject({ model, provider: 'openai', cost: null, balance: null });
    expect(stream.tollgate.requestId).toMatch(/\S/);
    let text = '';
    const chunks: TollgateChatCompletionChunk[] = [];
    for await (const chunk of stream) {
      chunks.push(chunk);
      text += chunk.choices[0]?.delta.content ?? '';
    }
    expect(text.trim()).toBe('w1 w2 w3 w4 w5 w6 w7 w8 w9 w10');
    // The caller did not ask for usage: the usage chunk the SDK requested is not shown.
    expect(chunks.every((c) => c.choices.length > 0 && !c.usage && !c.x_tollgate)).toBe(true);
    const meta = await stream.finalMeta();
    expect(meta).toMatchObject({ cost: '0.000022', balance: '0.999978', estimated: false }); // 2 × 1 µ + 10 × 2 µ
    expect(stream.tollgate).toBe(meta);
    expect((await tg.credits()).balance).toBe('0.999978');
  });

  it('pass the usage chunk through when the caller asks for it', async () => {
    const { tg } = await sdkUser(gw, '1');
    const stream = await tg.chat.completions.create({ model, stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'x [[reply:10]]' }] });
    let last: TollgateChatCompletionChunk | undefined;
    for await (const chunk of stream) last = chunk;
    expect(last?.usage).toMatchObject({ prompt_tokens: 2, completion_tokens: 10 });
    expect(last?.x_tollgate).toEqual({ cost: '0.000022', balance: '0.999978', estimated: false });
    expect(stream.tollgate.cost).toBe('0.000022');
  });

  it('leave the cost unknown when the caller stops reading early', async () => {
    const { tg } = await sdkUser(gw, '1');
    const stream = await tg.chat.completions.create({ model, stream: true, messages: [{ role: 'user', content: 'x [[reply:50]]' }] });
    for await (const _ of stream) break;
    expect(await stream.finalMeta()).toMatchObject({ cost: null, balance: null });
  });
});

describe('embeddings.create', () => {
  it('returns the OpenAI embeddings with their cost', async () => {
    const { tg } = await sdkUser(gw, '1');
    const r = await tg.embeddings.create({ model: EMBEDDING_MODEL, input: ['one', 'two'] });
    expect(r.data).toHaveLength(2);
    expect(r.data[0]!.embedding.length).toBeGreaterThan(0);
    expect(r.tollgate).toMatchObject({ model: EMBEDDING_MODEL, provider: 'openai', replayed: false });
    expect(toMicrocredits(r.tollgate.cost!)).toBeGreaterThan(0n);
    expect(toMicrocredits(r.tollgate.balance!) + toMicrocredits(r.tollgate.cost!)).toBe(1_000_000n);
  });
});

describe('Idempotency-Key', () => {
  it('answers a repeat from the first call and charges once', async () => {
    const { tg } = await sdkUser(gw, '1');
    const first = await tg.chat.completions.create({ model, messages: hello }, { idempotencyKey: 'order-42' });
    const again = await tg.chat.completions.create({ model, messages: hello }, { idempotencyKey: 'order-42' });
    expect(again).toEqual(first);
    expect(first.tollgate.replayed).toBe(false);
    expect(again.tollgate).toMatchObject({ replayed: true, cost: '0.000015', balance: null, requestId: first.tollgate.requestId });
    expect(await tg.request(again.tollgate.requestId!)).toMatchObject({ id: first.tollgate.requestId });
    // Nothing stays held once the gateway gives its idle lease on the account back.
    expect(await waitFor(async () => { const c = await tg.credits(); return c.held === '0.000000' && c; }, { what: 'the lease to be given back' })).toMatchObject({ balance: '0.999985', held: '0.000000' });
    expect((await tg.usage()).totals).toMatchObject({ requests: 1, cost: '0.000015' });
  });

  it('replays a stream with the same content and no second charge', async () => {
    const { tg } = await sdkUser(gw, '1');
    const read = async () => {
      const s = await tg.chat.completions.create({ model, stream: true, messages: [{ role: 'user', content: 'x [[reply:5]]' }] }, { idempotencyKey: 'stream-1' });
      let text = '';
      for await (const c of s) text += c.choices[0]?.delta.content ?? '';
      return { text, meta: await s.finalMeta() };
    };
    const first = await read();
    const again = await read();
    expect(again.text).toBe(first.text);
    expect(again.meta).toMatchObject({ replayed: true, cost: first.meta.cost, balance: null, requestId: first.meta.requestId });
    expect(first.meta.cost).toMatch(/^0\.0000\d\d$/);
    expect((await tg.credits()).balance).toBe(first.meta.balance);
  });

  it('makes the SDK’s own retries safe with idempotentRetries', async () => {
    const seen: (string | null)[] = [];
    const recording: typeof fetch = async (input, init) => {
      seen.push(new Headers(init?.headers).get('idempotency-key'));
      // The first attempt's answer is lost on the way back (the gateway did the work).
      const res = await fetch(input, init);
      if (seen.length === 1) throw new TypeError('fetch failed: connection reset');
      return res;
    };
    const { tg } = await sdkUser(gw, '1', { idempotentRetries: true, maxRetries: 1, fetch: recording });
    const r = await tg.chat.completions.create({ model, messages: hello });
    expect(seen).toHaveLength(2);
    expect(seen[0]).toMatch(/\S/);
    expect(seen[1]).toBe(seen[0]);
    expect(r.tollgate.replayed).toBe(true);
    expect((await tg.credits()).balance).toBe('0.999985');
  });
});

describe('tags, credits, usage and request reads', () => {
  it('sends default and per-call tags and filters usage by them', async () => {
    const { tg } = await sdkUser(gw, '1', { defaultTags: { app: 'sdk-test', team: 'core' } });
    const tagged = await tg.chat.completions.create({ model, messages: hello }, { tags: { team: 'search', note: 'a, b=c & 100%' }, headers: new Headers({ 'x-app-version': '1.2' }) });
    await tg.chat.completions.create({ model, messages: hello });
    await tg.embeddings.create({ model: EMBEDDING_MODEL, input: 'x' }, { tags: { team: 'search' } });

    const record = await tg.request(tagged.tollgate.requestId!);
    expect(record).toMatchObject({ object: 'request', id: tagged.tollgate.requestId, status: 200, cost: '0.000015', model, provider: 'openai' });
    expect(record.tags).toEqual({ app: 'sdk-test', team: 'search', note: 'a, b=c & 100%' });

    const search = await tg.usage({ tags: { team: 'search' } });
    expect(search.totals.requests).toBe(2);
    expect((await tg.usage({ tags: { team: 'search', note: 'a, b=c & 100%' } })).totals.requests).toBe(1);
    expect((await tg.usage({ tags: { app: 'sdk-test' } })).totals.requests).toBe(3);
  });

  it('reads the balance and usage of the key’s account', async () => {
    const { tg, accountId } = await sdkUser(gw, '2.5');
    expect(await tg.credits()).toMatchObject({ object: 'credits', account_id: accountId, balance: '2.500000', held: '0.000000', available: '2.500000', balance_microcredits: '2500000' });
    const r = await tg.chat.completions.create({ model, messages: hello });
    const usage = await tg.usage({ from: new Date(Date.now() - 60_000), limit: 5, scope: 'account' });
    expect(usage.totals).toMatchObject({ requests: 1, prompt_tokens: 3, completion_tokens: 6, cost: '0.000015' });
    expect(usage.by_model).toEqual([{ model, requests: 1, prompt_tokens: 3, completion_tokens: 6, cost: '0.000015' }]);
    expect(usage.requests[0]).toMatchObject({ id: r.tollgate.requestId, cost: '0.000015', cost_microcredits: '15' });
    expect((await tg.usage({ to: new Date(Date.now() - 60_000) })).totals.requests).toBe(0);
  });

  it('lists the catalogue through the openai models resource', async () => {
    const { tg } = await sdkUser(gw, '1');
    const ids = [];
    for await (const m of tg.models.list()) ids.push(m.id);
    expect(ids).toContain(model);
  });
});
