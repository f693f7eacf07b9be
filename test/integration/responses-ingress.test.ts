import OpenAI, { type APIError } from 'openai';
import { beforeEach, describe, expect, it } from 'vitest';
import { CHAT_MODELS, createUserWithKey } from '../helpers/catalogue.js';
import { useGatewayHarness } from '../helpers/harness.js';
import { injectFault } from '../helpers/mock-control.js';
import { waitFor } from '../helpers/wait.js';

/**
 * The OpenAI Responses ingress (POST /v1/responses) through the official `openai` SDK, against
 * every provider behind the mock upstream: one contract, run per provider.
 */
const h = useGatewayHarness();
beforeEach(() => h.mock.faults.clear());

type Loose = Record<string, any>;
const tools: OpenAI.Responses.FunctionTool[] = [
  { type: 'function', name: 'get_weather', description: 'Current weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false }, strict: true },
];

async function requestRow(id: string) {
  return waitFor(async () => (await h.db.query<Loose>('SELECT endpoint, model_alias, cost::text, status FROM requests WHERE id = $1', [id]))[0], { what: `the request row of ${id}` });
}

describe.each(Object.entries(CHAT_MODELS))('Responses ingress → %s', (provider, model) => {
  it('answers a string input with output_text, usage, cost headers, a request row and one ledger charge', async () => {
    const { data, response } = await h.client.responses.create({ model, input: 'Hello there gateway' }).withResponse();
    expect(data).toMatchObject({ object: 'response', status: 'completed', error: null, store: false });
    expect(data.id).toMatch(/^resp_/);
    expect(data.output_text).toBe('Mock reply to: Hello there gateway');
    expect(data.output).toEqual([
      { id: expect.stringMatching(/^msg_/), type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'Mock reply to: Hello there gateway', annotations: [], logprobs: [] }] },
    ]);
    expect(data.usage).toMatchObject({ input_tokens: 3, output_tokens: 6, total_tokens: 9, input_tokens_details: { cached_tokens: 0 }, output_tokens_details: { reasoning_tokens: 0 } });
    // 3 input × 1 + 6 output × 2 = 15 µcredits
    expect(response.headers.get('x-tollgate-cost')).toBe('0.000015');
    expect(response.headers.get('x-tollgate-provider')).toBe(provider);
    expect(response.headers.get('x-tollgate-balance')).toMatch(/^\d+\.\d{6}$/);
    const id = response.headers.get('x-request-id')!;
    expect(await requestRow(id)).toMatchObject({ endpoint: 'responses', model_alias: model, status: 200 });
    const charges = await waitFor(async () => (await h.db.query<Loose>("SELECT amount::text FROM ledger WHERE request_id = $1 AND kind = 'usage'", [id])).length && h.db.query<Loose>("SELECT amount::text FROM ledger WHERE request_id = $1 AND kind = 'usage'", [id]), { what: 'the usage charge' });
    expect(charges).toEqual([{ amount: '-15' }]);
  });

  it('reads instructions, message items, an image and earlier assistant output', async () => {
    const r = await h.client.responses.create({
      model,
      instructions: 'Be terse.',
      input: [
        { role: 'user', content: 'first question' },
        { type: 'message', role: 'assistant', id: 'msg_old', status: 'completed', content: [{ type: 'output_text', text: 'first answer', annotations: [] }] },
        { role: 'user', content: [{ type: 'input_text', text: 'What is this?' }, { type: 'input_image', image_url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'auto' }] },
      ],
    });
    expect(r.output_text).toBe('Mock reply to: What is this? (saw 1 image)');
    expect(r.instructions).toBe('Be terse.');
  });

  it('streams the Responses events in order with sequence numbers, text deltas and usage on response.completed', async () => {
    const stream = await h.client.responses.create({ model, input: 'tell me [[reply:4]]', stream: true });
    const events: Loose[] = [];
    for await (const e of stream) events.push(e);
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    const types = events.map((e) => e.type);
    expect(types.slice(0, 4)).toEqual(['response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added']);
    expect(types.slice(-4)).toEqual(['response.output_text.done', 'response.content_part.done', 'response.output_item.done', 'response.completed']);
    expect(events.filter((e) => e.type === 'response.output_text.delta').map((e) => e.delta).join('')).toBe('w1 w2 w3 w4');
    const done = events.at(-1)!;
    expect(done.response.output[0].content[0].text).toBe('w1 w2 w3 w4');
    expect(done.response.usage).toMatchObject({ input_tokens: 3, output_tokens: 4, total_tokens: 7 });
    expect(done.x_tollgate).toMatchObject({ cost: '0.000011', estimated: false });
  });

  it('assembles a streamed answer with client.responses.stream()', async () => {
    const deltas: string[] = [];
    const final = await h.client.responses
      .stream({ model, input: 'tell me [[reply:3]]' })
      .on('response.output_text.delta', (e) => deltas.push(e.delta))
      .finalResponse();
    expect(deltas.join('')).toBe('w1 w2 w3');
    expect(final.output_text).toBe('w1 w2 w3');
    expect(final.status).toBe('completed');
  });

  it('calls a function, then answers its function_call_output', async () => {
    const first = await h.client.responses.create({ model, input: 'weather in Paris?', tools });
    const call = first.output.find((o) => o.type === 'function_call') as OpenAI.Responses.ResponseFunctionToolCall;
    expect(call).toMatchObject({ type: 'function_call', name: 'get_weather', arguments: '{"city":"mock"}', status: 'completed' });
    expect(call.call_id).toBeTruthy();
    const second = await h.client.responses.create({
      model,
      tools,
      input: [{ role: 'user', content: 'weather in Paris?' }, ...first.output, { type: 'function_call_output', call_id: call.call_id, output: 'sunny, 21C' }] as OpenAI.Responses.ResponseInput,
    });
    expect(second.output_text).toBe('Tool result received: sunny, 21C');
  });

  it('streams a function call as argument deltas the SDK assembles', async () => {
    const s = h.client.responses.stream({ model, input: 'weather in Paris?', tools, tool_choice: { type: 'function', name: 'get_weather' } });
    const events: string[] = [];
    s.on('event', (e) => events.push(e.type));
    const final = await s.finalResponse();
    const call = final.output.find((o) => o.type === 'function_call') as OpenAI.Responses.ResponseFunctionToolCall;
    expect(call).toMatchObject({ name: 'get_weather', arguments: '{"city":"mock"}' });
    expect(events).toContain('response.function_call_arguments.done');
    expect(events.at(-1)).toBe('response.completed');
  });

  it('answers in JSON for text.format json_schema', async () => {
    const schema = { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'], additionalProperties: false };
    const r = await h.client.responses.create({ model, input: 'A number', text: { format: { type: 'json_schema', name: 'num', schema, strict: true } } });
    expect(JSON.parse(r.output_text)).toEqual({ n: 42 });
    expect(r.text?.format).toMatchObject({ type: 'json_schema', name: 'num' });
  });

  it('reports max_output_tokens cuts as an incomplete response', async () => {
    const r = await h.client.responses.create({ model, input: 'go [[reply:10]]', max_output_tokens: 3 });
    expect(r).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } });
    expect(r.output_text).toBe('w1 w2 w3');
  });

  it('maps an upstream 429 to a 429 with Retry-After in the OpenAI error shape', async () => {
    await injectFault(h.mock, { provider, fault: { type: 'status', status: 429, retryAfter: 7 } });
    const err = await h.client.responses.create({ model, input: 'hi' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect((err as APIError).headers?.get('retry-after')).toBe('7');
    expect((err as APIError).error).toMatchObject({ type: 'rate_limit_error' });
  });

  it('ends a stream cut by the provider with error and response.failed events', async () => {
    await injectFault(h.mock, { provider, fault: { type: 'cut_stream', afterEvents: 3 } });
    const stream = await h.client.responses.create({ model, input: 'tell me [[reply:20]]', stream: true });
    const events: Loose[] = [];
    for await (const e of stream) events.push(e);
    expect(events.map((e) => e.type).slice(-2)).toEqual(['error', 'response.failed']);
    expect(events.at(-1)!.response).toMatchObject({ status: 'failed', error: { code: expect.any(String) } });
  });
});

describe('Responses ingress: gateway errors and what it does not do', () => {
  const model = CHAT_MODELS.openai;

  it('401 for a bad key, 404 for an unknown model, 402 without credits', async () => {
    const bad = new OpenAI({ apiKey: 'tg_nope', baseURL: `${h.gw.url}/v1`, maxRetries: 0 });
    expect(await bad.responses.create({ model, input: 'hi' }).catch((e) => e)).toBeInstanceOf(OpenAI.AuthenticationError);
    const missing = await h.client.responses.create({ model: 'no-such-model', input: 'hi' }).catch((e) => e);
    expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
    expect(missing.error).toMatchObject({ type: 'not_found_error', code: 'model_not_found' });
    const broke = await createUserWithKey(h.gw, { credits: '0' });
    const poor = new OpenAI({ apiKey: broke.key, baseURL: `${h.gw.url}/v1`, maxRetries: 0 });
    const err = await poor.responses.create({ model, input: 'hi' }).catch((e) => e);
    expect(err.status).toBe(402);
    expect(err.error).toMatchObject({ type: 'insufficient_quota', code: 'insufficient_credits' });
  });

  it.each([
    ['previous_response_id', { previous_response_id: 'resp_123' }],
    ['store', { store: true }],
    ['include', { include: ['reasoning.encrypted_content'] }],
    ['tools[0].type', { tools: [{ type: 'web_search' }] }],
    ['input[0].type', { input: [{ type: 'item_reference', id: 'msg_1' }] }],
    ['bogus', { bogus: 1 }],
  ] as [string, Loose][])('refuses %s with a 400 naming it', async (param, extra) => {
    const err = await h.client.responses.create({ model, input: 'hi', ...extra } as any).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err.error.param).toBe(param);
  });

  it('replays a streamed answer for a repeated Idempotency-Key as the same Responses events, charged once', async () => {
    const opts = { headers: { 'Idempotency-Key': `resp-idem-${Date.now()}` } };
    const run = async () => {
      const { data: stream, response } = await h.client.responses.create({ model, input: 'tell me [[reply:3]]', stream: true }, opts).withResponse();
      const events: Loose[] = [];
      for await (const e of stream) events.push(e);
      return { events, response };
    };
    const first = await run();
    const again = await run();
    expect(again.response.headers.get('idempotent-replayed')).toBe('true');
    const text = (events: Loose[]) => events.filter((e) => e.type === 'response.output_text.delta').map((e) => e.delta).join('');
    expect(text(again.events)).toBe('w1 w2 w3');
    expect(text(first.events)).toBe('w1 w2 w3');
    expect(again.events.at(-1)).toMatchObject({ type: 'response.completed', response: { id: first.events.at(-1)!.response.id, usage: { output_tokens: 3 } } });
    expect(again.events.map((e) => e.sequence_number)).toEqual(again.events.map((_, i) => i));
    const id = first.response.headers.get('x-request-id')!;
    await requestRow(id);
    expect(await h.db.query("SELECT 1 FROM ledger WHERE request_id = $1 AND kind = 'usage'", [id])).toHaveLength(1);
  });

  it('refuses a parameter the provider cannot honour (service_tier on Gemini)', async () => {
    const err = await h.client.responses.create({ model: CHAT_MODELS.gemini, input: 'hi', service_tier: 'flex' }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err.error).toMatchObject({ param: 'service_tier', code: 'unsupported_parameter' });
  });
});

describe('Responses ingress: reasoning summaries', () => {
  const anthropic = CHAT_MODELS.anthropic;
  const ask = { input: 'Think it over [[reply:3]]', max_output_tokens: 4096, reasoning: { effort: 'low' as const, summary: 'auto' as const } };

  it('returns the provider’s reasoning as a reasoning item with a summary (Anthropic serves)', async () => {
    const r = await h.client.responses.create({ model: anthropic, ...ask });
    const reasoning = r.output.find((o) => o.type === 'reasoning') as OpenAI.Responses.ResponseReasoningItem | undefined;
    expect(reasoning?.summary).toEqual([{ type: 'summary_text', text: 'Mock reasoning about: Think it over [[reply:3]]' }]);
    expect(r.output.findIndex((o) => o.type === 'reasoning')).toBeLessThan(r.output.findIndex((o) => o.type === 'message'));
    expect(r.output_text).toBe('w1 w2 w3');
  });

  it('streams it as reasoning summary events the SDK assembles', async () => {
    const stream = h.client.responses.stream({ model: anthropic, ...ask });
    const types: string[] = [];
    let summary = '';
    for await (const e of stream) {
      types.push(e.type);
      if (e.type === 'response.reasoning_summary_text.delta') summary += e.delta;
    }
    const final = await stream.finalResponse();
    expect(summary).toBe('Mock reasoning about: Think it over [[reply:3]]');
    expect(types).toEqual(expect.arrayContaining(['response.reasoning_summary_part.added', 'response.reasoning_summary_text.done', 'response.reasoning_summary_part.done']));
    expect(types.indexOf('response.reasoning_summary_part.done')).toBeLessThan(types.indexOf('response.output_text.delta'));
    expect((final.output.find((o) => o.type === 'reasoning') as OpenAI.Responses.ResponseReasoningItem).summary[0]!.text).toBe(summary);
  });

  it('Anthropic asked for a summary without an effort answers 400: it only reasons when asked to', async () => {
    const err = await h.client.responses.create({ model: anthropic, input: 'hi', reasoning: { summary: 'auto' } }).catch((e) => e);
    expect(err.error.param).toBe('reasoning.summary');
  });

  it.each([CHAT_MODELS.openai, CHAT_MODELS.mistral, CHAT_MODELS.gemini])('a provider that cannot give one answers 400 naming reasoning.summary (%s)', async (model) => {
    const err = await h.client.responses.create({ model, input: 'hi', reasoning: { summary: 'auto' } }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err.error.param).toBe('reasoning.summary');
  });
});
