import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import type { MockUpstream } from '../mock-upstream/server.js';
import { CHAT_MODELS, EMBEDDING_MODELS } from '../helpers/catalogue.js';
import { useGatewayHarness } from '../helpers/harness.js';
import { injectFault } from '../helpers/mock-control.js';

let mock: MockUpstream;
let client: OpenAI;
useGatewayHarness({}, (h) => ({ mock, client } = h));

const model = CHAT_MODELS.openai;
const lastBody = () => mock.requests.at(-1)!.body as Record<string, unknown>;

describe('OpenAI provider through the OpenAI ingress', () => {
  it('answers a chat completion and relays usage', async () => {
    const r = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'Hello there gateway' }] });
    expect(r.choices[0]!.message.content).toBe('Mock reply to: Hello there gateway');
    expect(r.usage).toMatchObject({ prompt_tokens: 3, completion_tokens: 6, total_tokens: 9 });
    const sent = mock.requests.at(-1)!;
    expect(sent.path).toBe('/v1/chat/completions');
    expect(lastBody().model).toBe('gpt-4o-mini-2024-07-18');
    expect(sent.headers.authorization).toBe('Bearer mock-openai-key-0001');
  });

  it('streams text chunk by chunk and reports usage when asked', async () => {
    const stream = await client.chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'stream this [[reply:5]]' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const pieces: string[] = [];
    let usage;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta.content) pieces.push(chunk.choices[0].delta.content);
      if (chunk.usage) usage = chunk.usage;
    }
    expect(pieces.join('')).toBe('w1 w2 w3 w4 w5');
    expect(pieces.length).toBe(5);
    expect(usage).toMatchObject({ completion_tokens: 5 });
  });

  it('asks upstream for usage but hides the usage chunk from clients that did not ask', async () => {
    const stream = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'x [[reply:2]]' }], stream: true });
    const chunks = [];
    for await (const c of stream) chunks.push(c);
    expect(chunks.every((c) => c.choices.length > 0)).toBe(true);
    expect(lastBody().stream_options).toEqual({ include_usage: true });
  });

  it('passes the client body through untouched but for model, token limit and stream usage', async () => {
    await client.chat.completions.create({
      model,
      messages: [{ role: 'developer', content: 'Be terse.' }, { role: 'user', content: 'hi' }],
      max_tokens: 50,
      temperature: 0.2,
      store: false,
      metadata: { team: 'search' },
    } as never);
    expect(lastBody()).toEqual({
      model: 'gpt-4o-mini-2024-07-18',
      messages: [{ role: 'developer', content: 'Be terse.' }, { role: 'user', content: 'hi' }],
      max_tokens: 50,
      temperature: 0.2,
      store: false,
      metadata: { team: 'search' },
    });
  });

  it('passes tool calls through, including streamed arguments', async () => {
    const tools = [{ type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }];
    const r = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'weather in Paris?' }], tools });
    expect(r.choices[0]!.finish_reason).toBe('tool_calls');
    expect(r.choices[0]!.message.tool_calls![0]).toMatchObject({ type: 'function', function: { name: 'get_weather', arguments: '{"city":"mock"}' } });

    const final = await client.chat.completions.stream({ model, messages: [{ role: 'user', content: 'weather in Paris?' }], tools }).finalChatCompletion();
    const call = final.choices[0]!.message.tool_calls![0]!;
    expect(call.type === 'function' && call.function.arguments).toBe('{"city":"mock"}');
  });

  it('sends images and JSON mode as they are', async () => {
    const r = await client.chat.completions.create({
      model,
      response_format: { type: 'json_object' },
      messages: [{ role: 'user', content: [{ type: 'text', text: 'describe as json' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } }] }],
    });
    expect(JSON.parse(r.choices[0]!.message.content!)).toMatchObject({ reply: 'mock' });
    expect((lastBody().messages as { content: unknown[] }[])[0]!.content[1]).toEqual({ type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } });
  });

  it('creates embeddings, as floats and as base64', async () => {
    const r = await client.embeddings.create({ model: EMBEDDING_MODELS.openai, input: ['one two', 'three'], encoding_format: 'float' });
    expect(r.data).toHaveLength(2);
    expect(r.data[0]!.embedding).toHaveLength(8);
    expect(r.usage.prompt_tokens).toBe(3);
    const b64 = await client.embeddings.create({ model: EMBEDDING_MODELS.openai, input: 'one two' });
    expect(b64.data[0]!.embedding[0]).toBeCloseTo(r.data[0]!.embedding[0]!, 5);
  });

  it('maps an upstream 429 to a 429 with Retry-After in the OpenAI error shape', async () => {
    await injectFault(mock, { provider: 'openai', fault: { type: 'status', status: 429, retryAfter: 7 } });
    const err = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err.headers.get('retry-after')).toBe('7');
    expect(err.error).toMatchObject({ type: 'rate_limit_error', code: 'upstream_rate_limited' });
  });

  it('lists the enabled catalogue', async () => {
    const ids = (await client.models.list()).data.map((m) => m.id);
    expect(ids).toContain(model);
    expect(ids).toContain(EMBEDDING_MODELS.openai);
    expect((await client.models.retrieve(model)).id).toBe(model);
  });
});
