import OpenAI, { APIError, BadRequestError } from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import type { WireBody } from '../mock-upstream/anthropic-validate.js';
import type { FaultRule } from '../mock-upstream/faults.js';
import type { MockUpstream, RecordedRequest } from '../mock-upstream/server.js';
import { CHAT_MODELS } from '../helpers/catalogue.js';
import { useGatewayHarness } from '../helpers/harness.js';

/** The official openai SDK → gateway → the simulated Anthropic Messages API; each test checks both ends. */

let mock: MockUpstream;
let client: OpenAI;
useGatewayHarness({}, (h) => ({ mock, client } = h));
afterEach(() => {
  mock.faults.clear();
  mock.requests.length = 0;
});
const model = CHAT_MODELS.anthropic; // alias 'claude-sonnet' → upstream 'claude-sonnet-4-5' (max output 8192)

const weather = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } }, required: ['city'] },
  },
};
const user = (content: string) => [{ role: 'user' as const, content }];

/** Messages API calls the mock received (connection checks and other providers left out). */
const sent = (): (RecordedRequest & { body: WireBody })[] =>
  mock.requests.filter((r) => r.provider === 'anthropic' && r.path === '/v1/messages') as (RecordedRequest & { body: WireBody })[];
const lastSent = () => {
  const req = sent().at(-1);
  if (!req) throw new Error('the mock received no Messages API request');
  return req;
};
const fault = (rule: FaultRule) => mock.faults.add({ provider: 'anthropic', ...rule });

async function failure(call: Promise<unknown>): Promise<APIError> {
  const err = await call.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(APIError);
  return err as APIError;
}

/** Iterates a stream to its end or its error, keeping the text that arrived. */
async function drain(stream: AsyncIterable<OpenAI.ChatCompletionChunk>): Promise<{ text: string; error: unknown }> {
  let text = '';
  try {
    for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
  } catch (error) {
    return { text, error };
  }
  return { text, error: undefined };
}

describe('Anthropic provider through the OpenAI chat-completions API', () => {
  it('answers a chat completion from one Messages API call with the upstream model, key and version', async () => {
    const { data, response } = await client.chat.completions.create({ model, messages: user('Hello there') }).withResponse();
    expect(data).toMatchObject({ object: 'chat.completion', model: 'claude-sonnet-4-5' });
    expect(data.choices).toEqual([{ index: 0, message: { role: 'assistant', content: 'Mock reply to: Hello there', refusal: null }, logprobs: null, finish_reason: 'stop' }]);
    expect(response.headers.get('x-tollgate-provider')).toBe('anthropic');

    const req = lastSent();
    expect(req.headers).toMatchObject({ 'x-api-key': 'mock-anthropic-key-0001', 'anthropic-version': '2023-06-01' });
    expect(req.headers.authorization).toBeUndefined(); // the client's gateway key stays at the gateway
    expect(req.body).toEqual({ model: 'claude-sonnet-4-5', max_tokens: 8192, messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello there' }] }] });
  });

  it("fills the required max_tokens with the model's maximum output only when the client sets none", async () => {
    await client.chat.completions.create({ model, messages: user('Hi') });
    expect(lastSent().body.max_tokens).toBe(8192);
    await client.chat.completions.create({ model, max_completion_tokens: 50, messages: user('Hi') });
    expect(lastSent().body.max_tokens).toBe(50);
  });

  it('reports usage with cache reads counted in prompt_tokens and as cached_tokens, and charges each at its price', async () => {
    const { data, response } = await client.chat.completions
      .create({ model, messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hello there [[cached:2]]' }] })
      .withResponse();
    // 5 prompt words: Anthropic reports input_tokens 3 + cache_read_input_tokens 2; the reply has 6 words.
    expect(data.usage).toEqual({ prompt_tokens: 5, completion_tokens: 6, total_tokens: 11, prompt_tokens_details: { cached_tokens: 2 }, completion_tokens_details: { reasoning_tokens: 0 } });
    // 3 × 1 + 2 × 0.5 + 6 × 2 credits per Mtok = 16 µcredits.
    expect(response.headers.get('x-tollgate-cost')).toBe('0.000016');
  });

  it('gathers system and developer messages into the top-level system and merges the user turns around them', async () => {
    const done = await client.chat.completions.create({
      model,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
        { role: 'developer', content: 'Answer in French.' },
        { role: 'user', content: 'Bonjour' },
      ],
    });
    expect(done.choices[0]!.message.content).toBe('Mock reply to: Hi Bonjour');
    const { body } = lastSent();
    expect(body.system).toBe('Be brief.\n\nAnswer in French.');
    expect(body.messages).toEqual([{ role: 'user', content: [{ type: 'text', text: 'Hi' }, { type: 'text', text: 'Bonjour' }] }]);
  });

  it('streams text in several chunks and ends with a usage chunk carrying the cost when include_usage is set', async () => {
    const stream = await client.chat.completions.create({ model, stream: true, stream_options: { include_usage: true }, messages: user('count [[reply:6]]') });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const c of stream) chunks.push(c);

    expect(chunks[0]!.choices[0]!.delta.role).toBe('assistant');
    const texts = chunks.map((c) => c.choices[0]?.delta.content).filter((t): t is string => !!t);
    expect(texts).toEqual(['w1 ', 'w2 ', 'w3 ', 'w4 ', 'w5 ', 'w6']);
    expect(chunks.map((c) => c.choices[0]?.finish_reason).filter(Boolean)).toEqual(['stop']);
    expect(chunks.every((c) => c.model === 'claude-sonnet-4-5')).toBe(true);

    const last = chunks.at(-1) as OpenAI.ChatCompletionChunk & { x_tollgate?: { cost: string; balance: string | null; estimated: boolean } };
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({ prompt_tokens: 2, completion_tokens: 6, total_tokens: 8 });
    expect(last.x_tollgate).toMatchObject({ cost: '0.000014', estimated: false }); // 2 × 1 + 6 × 2
    expect(last.x_tollgate?.balance).toMatch(/^\d+\.\d{6}$/);
    expect(lastSent().body.stream).toBe(true);
  });

  it('translates tools to input_schema and returns the tool_use block as an OpenAI tool call', async () => {
    const done = await client.chat.completions.create({ model, tools: [weather], messages: user('Weather in Paris?') });
    expect(done.choices[0]).toMatchObject({
      finish_reason: 'tool_calls',
      message: {
        content: null,
        tool_calls: [{ type: 'function', id: expect.stringMatching(/^toolu_/), function: { name: 'get_weather', arguments: '{"city":"mock","unit":"celsius"}' } }],
      },
    });
    const { body } = lastSent();
    expect(body.tools).toEqual([{ name: 'get_weather', description: 'Current weather for a city', input_schema: weather.function.parameters }]);
    expect(body.tool_choice).toBeUndefined();
  });

  it('streams tool-call arguments in pieces that the SDK assembles, with a named tool_choice sent as type tool', async () => {
    const stream = client.chat.completions.stream({ model, tools: [weather], tool_choice: { type: 'function', function: { name: 'get_weather' } }, messages: user('Weather?') });
    const pieces: string[] = [];
    stream.on('chunk', (c) => {
      const args = c.choices[0]?.delta.tool_calls?.[0]?.function?.arguments;
      if (args) pieces.push(args);
    });
    const final = await stream.finalChatCompletion();
    expect(pieces.length).toBeGreaterThan(1);
    expect(final.choices[0]).toMatchObject({
      finish_reason: 'tool_calls',
      message: { tool_calls: [{ id: expect.stringMatching(/^toolu_/), function: { name: 'get_weather', arguments: '{"city":"mock","unit":"celsius"}' } }] },
    });
    expect(lastSent().body.tool_choice).toEqual({ type: 'tool', name: 'get_weather' });
  });

  it("maps tool_choice 'required' to any, and 'none' to none so the model answers in text", async () => {
    const forced = await client.chat.completions.create({ model, tools: [weather], tool_choice: 'required', messages: user('Weather?') });
    expect(forced.choices[0]!.finish_reason).toBe('tool_calls');
    expect(lastSent().body.tool_choice).toEqual({ type: 'any' });

    const none = await client.chat.completions.create({ model, tools: [weather], tool_choice: 'none', messages: user('Just talk') });
    expect(none.choices[0]).toMatchObject({ finish_reason: 'stop', message: { content: 'Mock reply to: Just talk' } });
    expect(none.choices[0]!.message.tool_calls).toBeUndefined();
    expect(lastSent().body.tool_choice).toEqual({ type: 'none' });
  });

  it('carries a tool call and its result back as tool_use and tool_result blocks, and answers from the result', async () => {
    const first = await client.chat.completions.create({ model, tools: [weather], messages: user('Weather in Paris?') });
    const call = first.choices[0]!.message.tool_calls![0]!;
    const done = await client.chat.completions.create({
      model,
      tools: [weather],
      messages: [...user('Weather in Paris?'), first.choices[0]!.message, { role: 'tool', tool_call_id: call.id, content: '18C, cloudy' }],
    });
    expect(done.choices[0]).toMatchObject({ finish_reason: 'stop', message: { content: 'Tool result received: 18C, cloudy' } });
    expect(lastSent().body.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Weather in Paris?' }] },
      { role: 'assistant', content: [{ type: 'tool_use', id: call.id, name: 'get_weather', input: { city: 'mock', unit: 'celsius' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: '18C, cloudy' }] },
    ]);
  });

  it('sends a data-URL image as a base64 source and an https image as a url source', async () => {
    const done = await client.chat.completions.create({
      model,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What are these?' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'low' } },
            { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
          ],
        },
      ],
    });
    expect(done.choices[0]!.message.content).toBe('Mock reply to: What are these? (saw 2 images)');
    expect(lastSent().body.messages![0]!.content).toEqual([
      { type: 'text', text: 'What are these?' },
      { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
      { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
    ]);
  });

  it('answers json_object mode with JSON content and finish_reason stop, through a forced gateway tool', async () => {
    const done = await client.chat.completions.create({ model, response_format: { type: 'json_object' }, messages: user('Give me JSON') });
    expect(done.choices[0]!.finish_reason).toBe('stop');
    expect(done.choices[0]!.message.tool_calls).toBeUndefined();
    expect(JSON.parse(done.choices[0]!.message.content!)).toEqual({});
    const { body } = lastSent();
    expect(body.tools).toMatchObject([{ name: 'tollgate_json_response', input_schema: { type: 'object' } }]);
    expect(body.tool_choice).toEqual({ type: 'tool', name: 'tollgate_json_response', disable_parallel_tool_use: true });
  });

  it('answers json_schema mode with content following the schema, streamed or not', async () => {
    const schema = { type: 'object', properties: { name: { type: 'string' }, age: { type: 'integer' } }, required: ['name', 'age'], additionalProperties: false };
    const response_format = { type: 'json_schema' as const, json_schema: { name: 'person', schema, strict: true } };
    const done = await client.chat.completions.create({ model, response_format, messages: user('Who?') });
    expect(done.choices[0]!.finish_reason).toBe('stop');
    expect(JSON.parse(done.choices[0]!.message.content!)).toEqual({ name: 'mock', age: 42 });
    expect(lastSent().body.tools).toMatchObject([{ name: 'tollgate_json_response', input_schema: schema, strict: true }]);

    const final = await client.chat.completions.stream({ model, response_format, messages: user('Who?') }).finalChatCompletion();
    expect(final.choices[0]!.finish_reason).toBe('stop');
    expect(JSON.parse(final.choices[0]!.message.content!)).toEqual({ name: 'mock', age: 42 });
  });

  it('turns reasoning_effort into a thinking budget that leaves room for the answer, and hides the thinking text', async () => {
    const done = await client.chat.completions.create({ model, reasoning_effort: 'low', messages: user('Think about this') });
    expect(lastSent().body).toMatchObject({ max_tokens: 8192, thinking: { type: 'enabled', budget_tokens: 2048 } });
    expect(done.choices[0]!.message.content).toBe('Mock reply to: Think about this');
    // "Mock reasoning about: Think about this" = 6 thinking tokens, counted in completion_tokens.
    expect(done.usage).toMatchObject({ completion_tokens: 12, completion_tokens_details: { reasoning_tokens: 6 } });

    await client.chat.completions.create({ model, reasoning_effort: 'high', max_completion_tokens: 5000, messages: user('Think hard') });
    expect(lastSent().body.thinking).toEqual({ type: 'enabled', budget_tokens: 5000 - 1024 });
  });

  it('rejects reasoning_effort combined with what extended thinking forbids, before calling Anthropic', async () => {
    const withTemperature = await failure(client.chat.completions.create({ model, reasoning_effort: 'low', temperature: 0.5, messages: user('Hi') }));
    expect(withTemperature).toBeInstanceOf(BadRequestError);
    expect(withTemperature.param).toBe('reasoning_effort');

    const tooShort = await failure(client.chat.completions.create({ model, reasoning_effort: 'low', max_completion_tokens: 1500, messages: user('Hi') }));
    expect(tooShort).toBeInstanceOf(BadRequestError);
    expect(tooShort.param).toBe('max_tokens');
    expect(sent()).toHaveLength(0);
  });

  const unsupported: [string, Partial<OpenAI.ChatCompletionCreateParamsNonStreaming>][] = [
    ['logit_bias', { logit_bias: { '50256': -100 } }],
    ['n', { n: 2 }],
    ['seed', { seed: 42 }],
    ['temperature', { temperature: 1.5 }],
    ['store', { store: true }],
  ];
  it.each(unsupported)('rejects %s with a 400 naming the parameter, before calling Anthropic', async (param, extra) => {
    const err = await failure(client.chat.completions.create({ model, messages: user('Hi'), ...extra }));
    expect(err).toBeInstanceOf(BadRequestError);
    expect(err.param).toBe(param);
    expect(err.message).toContain('Anthropic');
    expect(sent()).toHaveLength(0);
  });

  it.each([
    [529, 503, 'upstream_overloaded', 3],
    [500, 502, 'upstream_server_error', 3],
    [401, 502, 'upstream_auth_failed', 1],
  ])('maps an upstream %i to %i %s (retried when retrying can help)', async (upstream, status, code, attempts) => {
    fault({ times: 0, fault: { type: 'status', status: upstream } }); // every retry fails too
    const err = await failure(client.chat.completions.create({ model, messages: user('Hi') }));
    expect(err.status).toBe(status);
    expect(err.code).toBe(code);
    expect(err.message).toContain('Anthropic:');
    expect(sent()).toHaveLength(attempts);
  });

  it("passes an upstream 429 on as a 429 with the provider's retry-after", async () => {
    fault({ fault: { type: 'status', status: 429, retryAfter: 7 } });
    const err = await failure(client.chat.completions.create({ model, messages: user('Hi') }));
    expect(err.status).toBe(429);
    expect(err.code).toBe('upstream_rate_limited');
    expect(err.headers?.get('retry-after')).toBe('7');
  });

  it('delivers the text before a mid-stream error event, then makes the SDK iteration throw', async () => {
    // message_start, content_block_start, ping, two text deltas — then `event: error` (overloaded).
    fault({ fault: { type: 'stream_error', afterEvents: 5, status: 529 } });
    const { text, error } = await drain(await client.chat.completions.create({ model, stream: true, messages: user('count [[reply:6]]') }));
    expect(text).toBe('w1 w2 ');
    expect(error).toBeInstanceOf(APIError);
    expect((error as APIError).code).toBe('upstream_overloaded');
  });

  it('makes the SDK iteration throw when the upstream stream is cut before message_stop', async () => {
    fault({ fault: { type: 'cut_stream', afterEvents: 4 } });
    const { text, error } = await drain(await client.chat.completions.create({ model, stream: true, messages: user('count [[reply:6]]') }));
    expect(text).toBe('w1 ');
    expect(error).toBeInstanceOf(APIError);
    expect((error as APIError).code).toBe('upstream_stream_cut');
  });
});
