import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI, { APIError } from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { embed } from '../mock-upstream/content.js';
import type { MockUpstream, RecordedRequest } from '../mock-upstream/server.js';
import { CHAT_MODELS, EMBEDDING_MODELS, TEST_PRICE } from '../helpers/catalogue.js';
import type { TestGateway } from '../helpers/gateway.js';
import { useGatewayHarness } from '../helpers/harness.js';

let mock: MockUpstream;
let gw: TestGateway;
let client: OpenAI;
useGatewayHarness({}, (h) => ({ mock, gw, client } = h));
beforeEach(() => mock.faults.clear());
const model = CHAT_MODELS.gemini;

/** The mock records no prompt Gemini refuses, so a small stand-in answers every call with a blocked prompt (real captures). */
const fixture = (name: string) => readFileSync(new URL(`../fixtures/gemini/${name}`, import.meta.url), 'utf8');
let blocking: Server;
beforeAll(async () => {
  blocking = createServer((req, res) => {
    req.resume();
    const stream = req.url?.includes(':streamGenerateContent') ?? false;
    res.writeHead(200, { 'content-type': stream ? 'text/event-stream' : 'application/json' });
    res.end(fixture(stream ? 'stream-blocked.sse' : 'generate-blocked-prompt.json'));
  });
  await new Promise<void>((resolve) => blocking.listen(0, '127.0.0.1', resolve));
  const blockingUrl = `http://127.0.0.1:${(blocking.address() as AddressInfo).port}/v1beta`;
  for (const [id, baseUrl, secret] of [['gemini-blocking', blockingUrl, 'k'], ['gemini-revoked', mock.baseUrl('gemini'), 'bad-key']] as const) {
    await gw.admin('POST', '/providers', { id, kind: 'gemini', baseUrl, keys: [{ secret, label: 'primary' }] });
    await gw.admin('POST', '/models', { alias: id, providerId: id, upstreamModel: 'gemini-2.5-flash', contextWindow: 128_000, maxOutputTokens: 8_192, price: TEST_PRICE });
  }
});
afterAll(() => new Promise<void>((resolve) => (blocking ? blocking.close(() => resolve()) : resolve())));

type Loose = Record<string, any>;
const lastRequest = (): RecordedRequest => mock.requests.filter((r) => r.provider === 'gemini').at(-1)!;
const sentBody = () => lastRequest().body as Loose;
const ask = (content: string, extra: Partial<OpenAI.ChatCompletionCreateParamsNonStreaming> = {}) =>
  client.chat.completions.create({ model, messages: [{ role: 'user', content }], ...extra });
async function failure(p: Promise<unknown>): Promise<APIError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(APIError);
  return err as APIError;
}

const tools: OpenAI.ChatCompletionFunctionTool[] = [
  { type: 'function', function: { name: 'get_weather', description: 'Current weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } },
  { type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: { timezone: { type: 'string', enum: ['UTC'] } } } } },
];

describe('Gemini through the gateway (openai SDK → gateway → mock Gemini)', () => {
  it('answers a plain chat with usage, cached tokens and its cost, sending the key in x-goog-api-key only', async () => {
    const { data, response } = await ask('Hello there gateway [[cached:2]]').withResponse();
    expect(data.choices).toEqual([{ index: 0, message: { role: 'assistant', content: 'Mock reply to: Hello there gateway [[cached:2]]', refusal: null }, logprobs: null, finish_reason: 'stop' }]);
    expect(data.model).toBe('gemini-2.5-flash');
    expect(data.usage).toMatchObject({ prompt_tokens: 4, completion_tokens: 7, total_tokens: 11, prompt_tokens_details: { cached_tokens: 2 } });
    // 2 plain input × 1 + 2 cached × 0.5 + 7 output × 2 = 17 µcredits
    expect(response.headers.get('x-tollgate-cost')).toBe('0.000017');
    expect(response.headers.get('x-tollgate-provider')).toBe('gemini');
    const sent = lastRequest();
    expect(sent.path).toBe('/v1beta/models/gemini-2.5-flash:generateContent');
    expect(sent.headers['x-goog-api-key']).toBe('mock-gemini-key-0001');
    expect(sent.headers.authorization).toBeUndefined();
    expect(sentBody()).toEqual({ contents: [{ role: 'user', parts: [{ text: 'Hello there gateway [[cached:2]]' }] }] });
    for (const r of mock.requests) expect(r.path).not.toMatch(/key=|mock-gemini-key/);
  });

  it('maps sampling parameters into generationConfig and reports a max_tokens cut as length', async () => {
    const r = await ask('go [[reply:10]]', { max_tokens: 3, temperature: 0.3, top_p: 0.9, stop: ['zzz'], seed: 7 });
    expect(r.choices[0]).toMatchObject({ message: { content: 'w1 w2 w3' }, finish_reason: 'length' });
    expect(sentBody().generationConfig).toEqual({ maxOutputTokens: 3, temperature: 0.3, topP: 0.9, stopSequences: ['zzz'], seed: 7 });
  });

  it('streams text in several chunks over SSE and ends with a usage chunk carrying the cost', async () => {
    const stream = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'tell me [[reply:4]]' }], stream: true, stream_options: { include_usage: true } });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const c of stream) chunks.push(c);
    const content = chunks.filter((c) => c.choices.length > 0);
    expect(content.map((c) => c.choices[0]!.delta.content)).toEqual(['w1 ', 'w2 ', 'w3 ', 'w4']);
    expect(content[0]!.choices[0]!.delta.role).toBe('assistant');
    expect(content.map((c) => c.choices[0]!.finish_reason)).toEqual([null, null, null, 'stop']);
    const last = chunks.at(-1)! as OpenAI.ChatCompletionChunk & { x_tollgate?: Loose };
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({ prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 });
    expect(last.x_tollgate).toMatchObject({ cost: '0.000011', estimated: false });
    expect(last.x_tollgate!.balance).toMatch(/^\d+\.\d{6}$/);
    expect(lastRequest().path).toBe('/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse');
  });

  it('declares tools as functionDeclarations and names Gemini’s id-less calls call_<responseId>_<n>', async () => {
    const r = await ask('weather in Paris?', { tools });
    expect(r.choices[0]!.finish_reason).toBe('tool_calls');
    expect(r.choices[0]!.message.tool_calls).toEqual([{ id: `call_${r.id}_0`, type: 'function', function: { name: 'get_weather', arguments: '{"city":"mock"}' } }]);
    expect(sentBody().tools).toEqual([{ functionDeclarations: tools.map((t) => ({ name: t.function.name, ...(t.function.description ? { description: t.function.description } : {}), parametersJsonSchema: t.function.parameters })) }]);
    expect(sentBody().toolConfig).toBeUndefined();
  });

  it('streams a tool call whole, which the SDK assembles into the final completion', async () => {
    const final = await client.chat.completions.stream({ model, messages: [{ role: 'user', content: 'weather in Paris?' }], tools }).finalChatCompletion();
    expect(final.choices[0]!.finish_reason).toBe('tool_calls');
    const [call] = final.choices[0]!.message.tool_calls as OpenAI.ChatCompletionMessageFunctionToolCall[];
    expect(call!.id).toMatch(/^call_[\w-]+_0$/);
    expect(call!.function).toEqual({ name: 'get_weather', arguments: '{"city":"mock"}' });
    expect(lastRequest().path).toBe('/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse');
  });

  const choices: [string, OpenAI.ChatCompletionToolChoiceOption, Loose, string | null][] = [
    ['required', 'required', { mode: 'ANY' }, 'get_weather'],
    ['a named function', { type: 'function', function: { name: 'get_time' } }, { mode: 'ANY', allowedFunctionNames: ['get_time'] }, 'get_time'],
    ['none', 'none', { mode: 'NONE' }, null],
  ];
  it.each(choices)('maps tool_choice %s to functionCallingConfig', async (_, tool_choice, config, called) => {
    const r = await ask('what now?', { tools, tool_choice });
    expect(sentBody().toolConfig).toEqual({ functionCallingConfig: config });
    const calls = r.choices[0]!.message.tool_calls as OpenAI.ChatCompletionMessageFunctionToolCall[] | undefined;
    expect(calls?.[0]?.function.name ?? null).toBe(called);
    if (!called) expect(r.choices[0]!.message.content).toBe('Mock reply to: what now?');
  });

  it('sends a tool result back as a functionResponse named after the call it answers', async () => {
    const r = await client.chat.completions.create({
      model,
      tools,
      messages: [
        { role: 'user', content: 'weather in Paris?' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_abc_0', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
        { role: 'tool', tool_call_id: 'call_abc_0', content: 'sunny, 21C' },
      ],
    });
    expect(r.choices[0]).toMatchObject({ message: { content: 'Tool result received: sunny, 21C' }, finish_reason: 'stop' });
    expect(sentBody().contents).toEqual([
      { role: 'user', parts: [{ text: 'weather in Paris?' }] },
      { role: 'model', parts: [{ functionCall: { id: 'call_abc_0', name: 'get_weather', args: { city: 'Paris' } } }] },
      { role: 'user', parts: [{ functionResponse: { id: 'call_abc_0', name: 'get_weather', response: { result: 'sunny, 21C' } } }] },
    ]);
  });

  it('sends a data-URL image as inlineData', async () => {
    const r = await client.chat.completions.create({
      model,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } }] }],
    });
    expect(r.choices[0]!.message.content).toBe('Mock reply to: What is this? (saw 1 image)');
    expect(r.usage!.prompt_tokens).toBe(3 + 85);
    expect(sentBody().contents).toEqual([{ role: 'user', parts: [{ text: 'What is this?' }, { inlineData: { mimeType: 'image/png', data: 'iVBORw0KGgo=' } }] }]);
  });

  it('refuses an https image URL with a 400 before calling Gemini', async () => {
    const before = mock.requests.length;
    const err = await failure(
      client.chat.completions.create({ model, messages: [{ role: 'user', content: [{ type: 'text', text: 'What?' }, { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }] }] }),
    );
    expect(err).toMatchObject({ status: 400, code: 'unsupported_image_url', param: 'messages[0].content[1].image_url.url' });
    expect(mock.requests.length).toBe(before);
  });

  it('asks for JSON with json_object and for a schema with json_schema', async () => {
    const obj = await ask('Give me JSON', { response_format: { type: 'json_object' } });
    expect(JSON.parse(obj.choices[0]!.message.content!)).toEqual({ reply: 'mock', words: 3 });
    expect(sentBody().generationConfig).toEqual({ responseMimeType: 'application/json' });

    const schema = { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] };
    const typed = await ask('A number', { response_format: { type: 'json_schema', json_schema: { name: 'num', schema } } });
    expect(JSON.parse(typed.choices[0]!.message.content!)).toEqual({ n: 42 });
    expect(sentBody().generationConfig).toEqual({ responseMimeType: 'application/json', responseJsonSchema: schema });
  });

  it('turns the system prompt into systemInstruction', async () => {
    const r = await client.chat.completions.create({ model, messages: [{ role: 'system', content: 'Be terse.' }, { role: 'user', content: 'Hi [[echo]]' }] });
    expect(r.choices[0]!.message.content).toBe('Hi');
    expect(r.usage!.prompt_tokens).toBe(4);
    expect(sentBody().systemInstruction).toEqual({ parts: [{ text: 'Be terse.' }] });
    expect(sentBody().contents).toEqual([{ role: 'user', parts: [{ text: 'Hi [[echo]]' }] }]);
  });

  it('returns one choice per candidate for n=2', async () => {
    const r = await ask('twice [[reply:3]]', { n: 2 });
    expect(r.choices.map((c) => [c.index, c.message.content, c.finish_reason])).toEqual([[0, 'w1 w2 w3', 'stop'], [1, 'w1 w2 w3', 'stop']]);
    expect(r.usage!.completion_tokens).toBe(6);
    expect(sentBody().generationConfig).toEqual({ candidateCount: 2 });
  });

  it('maps logprobs and top_logprobs both ways', async () => {
    const r = await ask('go [[reply:2]]', { logprobs: true, top_logprobs: 2 });
    const bytes = (s: string) => [...Buffer.from(s)];
    expect(r.choices[0]!.logprobs!.content).toEqual(
      ['w1 ', 'w2'].map((token) => ({ token, logprob: -0.05, bytes: bytes(token), top_logprobs: [{ token, logprob: -0.05, bytes: bytes(token) }, { token: 'alt1', logprob: -1, bytes: bytes('alt1') }] })),
    );
    expect(sentBody().generationConfig).toEqual({ responseLogprobs: true, logprobs: 2 });
  });

  it('turns reasoning_effort into a thinking budget and bills the thoughts as reasoning output', async () => {
    const r = await ask('think [[reply:2]]', { reasoning_effort: 'low' });
    expect(sentBody().generationConfig).toEqual({ thinkingConfig: { thinkingBudget: 1024 } });
    expect(r.choices[0]!.message.content).toBe('w1 w2');
    // The mock thinks 7 tokens ("Mock thought: weighing the request before answering.").
    expect(r.usage).toMatchObject({ completion_tokens: 2 + 7, completion_tokens_details: { reasoning_tokens: 7 } });
  });

  const unsupported: [string, Partial<OpenAI.ChatCompletionCreateParamsNonStreaming>][] = [
    ['logit_bias', { logit_bias: { '50256': -100 } }],
    ['stop', { stop: ['a', 'b', 'c', 'd', 'e', 'f'] }],
    ['parallel_tool_calls', { tools, parallel_tool_calls: false }],
    ['store', { store: true }],
  ];
  it.each(unsupported)('refuses %s with a 400 naming it, without calling Gemini', async (param, extra) => {
    const before = mock.requests.length;
    const err = await failure(ask('hi', extra));
    expect(err).toMatchObject({ status: 400, type: 'invalid_request_error', param });
    expect(mock.requests.length).toBe(before);
  });

  it('embeds a batch through batchEmbedContents, as floats and as base64 the SDK decodes', async () => {
    const input = ['hello world', 'other text'];
    const { data: floats, response } = await client.embeddings.create({ model: EMBEDDING_MODELS.gemini, input, encoding_format: 'float' }).withResponse();
    expect(floats.data.map((d) => d.embedding)).toEqual(input.map((t) => embed(t)));
    expect(floats.usage.prompt_tokens).toBeGreaterThan(0); // Gemini reports none: estimated
    expect(response.headers.get('x-tollgate-cost')).toMatch(/^\d+\.\d{6}$/);
    expect(lastRequest().path).toBe('/v1beta/models/gemini-embedding-001:batchEmbedContents');
    expect(sentBody()).toEqual({ requests: input.map((text) => ({ model: 'models/gemini-embedding-001', content: { parts: [{ text }] } })) });

    const decoded = await client.embeddings.create({ model: EMBEDDING_MODELS.gemini, input });
    decoded.data.forEach((d, i) => {
      expect(d.embedding).toHaveLength(8);
      d.embedding.forEach((x, j) => expect(x).toBeCloseTo(floats.data[i]!.embedding[j]!, 6));
    });
  });

  it('relays a 429 as 429 with retry-after', async () => {
    mock.faults.add({ provider: 'gemini', fault: { type: 'status', status: 429, retryAfter: 7 } });
    const err = await failure(ask('hi'));
    expect(err).toMatchObject({ status: 429, code: 'upstream_rate_limited' });
    expect(err.headers?.get('retry-after')).toBe('7');
  });

  it.each([
    [503, 503, 'upstream_unavailable'],
    [500, 502, 'upstream_server_error'],
  ])('answers an upstream %i with %i', async (upstream, status, code) => {
    mock.faults.add({ provider: 'gemini', times: 0, fault: { type: 'status', status: upstream } }); // every retry fails too
    const err = await failure(ask('hi'));
    expect(err).toMatchObject({ status, code });
    expect(err.message).toContain('Gemini:');
  });

  it('reports a rejected Gemini key (400 API_KEY_INVALID) as the gateway’s 502, not the client’s fault', async () => {
    const err = await failure(client.chat.completions.create({ model: 'gemini-revoked', messages: [{ role: 'user', content: 'hi' }] }));
    expect(err).toMatchObject({ status: 502, code: 'upstream_auth_failed' });
    expect(lastRequest().headers['x-goog-api-key']).toBe('bad-key');
  });

  it('fails a stream that Gemini cuts off with an error event after the chunks already sent', async () => {
    mock.faults.add({ provider: 'gemini', fault: { type: 'cut_stream', afterEvents: 2 } });
    const stream = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'go [[reply:6]]' }], stream: true });
    let text = '';
    const err = await (async () => {
      for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
    })().then(() => undefined, (e: unknown) => e);
    expect(text).toBe('w1 w2 ');
    expect(err).toBeInstanceOf(APIError);
    expect(err).toMatchObject({ code: 'upstream_stream_cut' });
  });

  it('answers a blocked prompt with finish_reason content_filter and the reason as refusal, streamed or not', async () => {
    const r = await client.chat.completions.create({ model: 'gemini-blocking', messages: [{ role: 'user', content: 'something forbidden' }] });
    expect(r.choices).toEqual([
      {
        index: 0,
        message: { role: 'assistant', content: null, refusal: 'Gemini blocked the prompt (PROHIBITED_CONTENT): The prompt was blocked because it may contain prohibited content.' },
        logprobs: null,
        finish_reason: 'content_filter',
      },
    ]);
    expect(r.usage).toMatchObject({ prompt_tokens: 9, completion_tokens: 0 });

    const stream = await client.chat.completions.create({ model: 'gemini-blocking', messages: [{ role: 'user', content: 'something forbidden' }], stream: true });
    const deltas: OpenAI.ChatCompletionChunk.Choice[] = [];
    for await (const c of stream) deltas.push(...c.choices);
    expect(deltas).toEqual([{ index: 0, delta: { role: 'assistant', refusal: 'Gemini blocked the prompt (SAFETY).' }, logprobs: null, finish_reason: 'content_filter' }]);
  });
});
