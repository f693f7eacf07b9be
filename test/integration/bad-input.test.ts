import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import type { MockUpstream } from '../mock-upstream/server.js';
import { CHAT_MODELS, EMBEDDING_MODELS } from '../helpers/catalogue.js';
import type { TestGateway } from '../helpers/gateway.js';
import { useGatewayHarness } from '../helpers/harness.js';
import { injectFault } from '../helpers/mock-control.js';

let mock: MockUpstream;
let gw: TestGateway;
let key: string;
// Breakers are kept out of the way here (this file tests error mapping; breakers have their own tests).
useGatewayHarness({ env: { MAX_BODY_BYTES: '65536', BREAKER_MIN_REQUESTS: '100000' } }, (h) => ({ mock, gw, key } = h));

type ErrorBody = { error: { message: string; type: string; param: string | null; code: string | null } };

async function post(path: string, body: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${gw.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers }, body });
  return { status: res.status, body: (await res.json()) as ErrorBody, headers: res.headers };
}

const hello = () => JSON.stringify({ model: CHAT_MODELS.openai, messages: [{ role: 'user', content: 'hi' }] });

describe('bad input gets a clear 4xx in the OpenAI error shape', () => {
  it('malformed JSON → 400 invalid_json', async () => {
    const r = await post('/v1/chat/completions', '{"model": "x", "messages": [');
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_json' });
    expect(r.body.error.message).toMatch(/could not parse the JSON body/);
  });

  it('a body over MAX_BODY_BYTES → 413', async () => {
    const big = JSON.stringify({ model: CHAT_MODELS.openai, messages: [{ role: 'user', content: 'x'.repeat(70_000) }] });
    const r = await post('/v1/chat/completions', big);
    expect(r.status).toBe(413);
    expect(r.body.error.code).toBe('request_too_large');
  });

  it('a body over the limit without Content-Length (chunked) → 413', async () => {
    const chunks = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 10; i++) controller.enqueue(new TextEncoder().encode('x'.repeat(10_000)));
        controller.close();
      },
    });
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: chunks,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
  });

  it('unknown model → 404 model_not_found', async () => {
    const r = await post('/v1/chat/completions', JSON.stringify({ model: 'no-such-model', messages: [{ role: 'user', content: 'hi' }] }));
    expect(r.status).toBe(404);
    expect(r.body.error).toMatchObject({ type: 'not_found_error', code: 'model_not_found', param: 'model' });
  });

  it('missing key → 401, invalid key → 401, both in the OpenAI shape', async () => {
    const missing = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: hello() });
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({ error: { type: 'authentication_error', code: 'missing_api_key' } });
    const wrong = await post('/v1/chat/completions', hello(), { authorization: 'Bearer tg_not-a-real-key' });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('invalid_api_key');
  });

  it('the openai SDK surfaces these as its typed errors', async () => {
    const bad = new OpenAI({ apiKey: 'tg_wrong', baseURL: `${gw.url}/v1`, maxRetries: 0 });
    await expect(bad.chat.completions.create({ model: CHAT_MODELS.openai, messages: [{ role: 'user', content: 'hi' }] })).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    const good = new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    await expect(good.chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'hi' }] })).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('schema violations name the parameter', async () => {
    const m = CHAT_MODELS.openai;
    const cases: [unknown, string][] = [
      [{ model: m }, 'messages'],
      [{ model: m, messages: [] }, 'messages'],
      [{ model: m, messages: [{ role: 'wizard', content: 'x' }] }, 'messages[0].role'],
      [{ model: m, messages: [{ role: 'user', content: 'x' }], temperature: 3 }, 'temperature'],
      [{ model: m, messages: [{ role: 'user', content: 'x' }], max_tokens: 0 }, 'max_tokens'],
      [{ model: m, messages: [{ role: 'user', content: 'x' }], stop: ['a', 'b', 'c', 'd', 'e'] }, 'stop'],
      [{ model: m, messages: [{ role: 'tool', tool_call_id: 'nope', content: 'x' }] }, 'messages[0].tool_call_id'],
      [{ model: m, messages: [{ role: 'user', content: 'x' }], tool_choice: { type: 'function', function: { name: 'ghost' } } }, 'tool_choice'],
      [{ model: m, messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'ftp://x/y.png' } }] }] }, 'messages[0].content[0].image_url.url'],
    ];
    for (const [body, param] of cases) {
      const r = await post('/v1/chat/completions', JSON.stringify(body));
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.param, JSON.stringify(r.body)).toBe(param);
      expect(r.body.error.type).toBe('invalid_request_error');
    }
  });

  it('a JSON array, a scalar or an empty body → 400', async () => {
    expect((await post('/v1/chat/completions', '[1,2]')).status).toBe(400);
    expect((await post('/v1/chat/completions', '"hi"')).status).toBe(400);
    expect((await post('/v1/chat/completions', '')).status).toBe(400);
  });

  it('max_tokens above the model limit → 400 naming max_tokens', async () => {
    const r = await post('/v1/chat/completions', JSON.stringify({ model: CHAT_MODELS.openai, messages: [{ role: 'user', content: 'x' }], max_tokens: 100_000 }));
    expect(r.status).toBe(400);
    expect(r.body.error.param).toBe('max_tokens');
  });

  it('an embedding model on chat, and a chat model on embeddings → 400', async () => {
    expect((await post('/v1/chat/completions', JSON.stringify({ model: EMBEDDING_MODELS.openai, messages: [{ role: 'user', content: 'x' }] }))).status).toBe(400);
    expect((await post('/v1/embeddings', JSON.stringify({ model: CHAT_MODELS.openai, input: 'x' }))).status).toBe(400);
    expect((await post('/v1/embeddings', JSON.stringify({ model: EMBEDDING_MODELS.openai, input: [] }))).body.error.param).toBe('input');
  });

  it('an unsupported content part type → 400', async () => {
    const r = await post('/v1/chat/completions', JSON.stringify({ model: CHAT_MODELS.openai, messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'x', format: 'wav' } }] }] }));
    expect(r.status).toBe(400);
    expect(r.body.error.param).toBe('messages[0].content[0].type');
  });

  it('an unknown route → 404 in the OpenAI shape', async () => {
    const r = await post('/v1/nothing-here', '{}');
    expect(r.status).toBe(404);
    expect(r.body.error.type).toBe('not_found_error');
  });

  it('gives every response its own x-request-id and echoes the caller’s as x-client-request-id', async () => {
    const r = await post('/v1/chat/completions', hello(), { 'x-request-id': 'my-trace-123' });
    expect(r.headers.get('x-request-id')).toMatch(/^req_[A-Za-z0-9_-]{12}[0-9a-z]+$/);
    expect(r.headers.get('x-client-request-id')).toBe('my-trace-123');
    const r2 = await post('/v1/chat/completions', hello());
    expect(r2.headers.get('x-request-id')).not.toBe(r.headers.get('x-request-id'));
  });

  it('names the request and the replica on every kind of answer: served, streamed, replayed, refused, and on the express routes', async () => {
    const send = (path: string, init: RequestInit = {}) =>
      fetch(`${gw.url}${path}`, { method: 'POST', ...init, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'x-request-id': 'caller-7', ...(init.headers as Record<string, string>) } });
    const idem = { 'idempotency-key': `identity-${Date.now()}` };
    const answers = {
      served: await send('/v1/chat/completions', { body: hello() }),
      streamed: await send('/v1/chat/completions', { body: JSON.stringify({ ...JSON.parse(hello()), stream: true }) }),
      first: await send('/v1/chat/completions', { body: hello(), headers: idem }),
      replayed: await send('/v1/chat/completions', { body: hello(), headers: idem }),
      badJson: await send('/v1/chat/completions', { body: '{' }),
      badKey: await send('/v1/chat/completions', { body: hello(), headers: { authorization: 'Bearer tg-nope' } }),
      anthropic: await send('/v1/messages', { body: JSON.stringify({ model: CHAT_MODELS.openai, max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }) }),
      models: await fetch(`${gw.url}/v1/models`, { headers: { authorization: `Bearer ${key}`, 'x-request-id': 'caller-7' } }),
      unknownRoute: await send('/v1/nothing-here', { body: '{}' }),
    };
    const ids = new Set<string>();
    for (const [kind, res] of Object.entries(answers)) {
      await res.arrayBuffer();
      expect([kind, res.headers.get('x-request-id')]).toEqual([kind, expect.stringMatching(/^req_/)]);
      expect([kind, res.headers.get('x-client-request-id')]).toEqual([kind, 'caller-7']);
      expect([kind, res.headers.get('x-tollgate-instance')]).toEqual([kind, gw.gw.instanceId]);
      ids.add(res.headers.get('x-request-id')!);
    }
    expect(ids.size).toBe(Object.keys(answers).length);
    expect(answers.replayed.headers.get('idempotent-replayed')).toBe('true');
    expect(answers.replayed.headers.get('x-tollgate-original-request-id')).toBe(answers.first.headers.get('x-request-id'));
    expect(answers.streamed.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect([answers.badJson.status, answers.badKey.status, answers.unknownRoute.status]).toEqual([400, 401, 404]);
  });
});

describe('upstream errors are mapped, never leaked raw', () => {
  it('upstream 500 → 502 upstream_error', async () => {
    await injectFault(mock, { provider: 'openai', times: 3, fault: { type: 'status', status: 500 } });
    const r = await post('/v1/chat/completions', hello());
    expect(r.status).toBe(502);
    expect(r.body.error).toMatchObject({ type: 'upstream_error', code: 'upstream_server_error' });
    expect(r.body.error.message).toMatch(/^OpenAI: /);
  });

  it('upstream 401 (the gateway’s provider key is bad) → 502, not 401', async () => {
    await injectFault(mock, { provider: 'openai', fault: { type: 'status', status: 401 } });
    const r = await post('/v1/chat/completions', hello());
    expect(r.status).toBe(502);
    expect(r.body.error.code).toBe('upstream_auth_failed');
  });

  it('a malformed upstream body → 502 upstream_malformed_response', async () => {
    await injectFault(mock, { provider: 'openai', times: 3, fault: { type: 'malformed' } });
    const r = await post('/v1/chat/completions', hello());
    expect(r.status).toBe(502);
    expect(r.body.error.code).toBe('upstream_malformed_response');
  });

  it('a connection reset → 502 upstream_connection_error', async () => {
    await injectFault(mock, { provider: 'openai', times: 3, fault: { type: 'reset' } });
    const r = await post('/v1/chat/completions', hello());
    expect(r.status).toBe(502);
    expect(r.body.error.code).toBe('upstream_connection_error');
  });

  it('an upstream 400 keeps the provider message and stays a 400', async () => {
    const r = await post('/v1/chat/completions', JSON.stringify({ model: CHAT_MODELS.openai, messages: [{ role: 'user', content: 'x' }], stream_options: { include_usage: true } }));
    expect(r.status).toBe(400);
    expect(r.body.error.message).toMatch(/OpenAI: The 'stream_options' parameter is only allowed/);
  });
});
