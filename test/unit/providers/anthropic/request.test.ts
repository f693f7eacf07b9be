import { describe, expect, it } from 'vitest';
import { InvalidRequestError, UnsupportedParameterError } from '../../../../src/errors.js';
import { anthropic } from '../../../../src/providers/anthropic/index.js';
import { buildAnthropicBody } from '../../../../src/providers/anthropic/request.js';
import { fixture, fromOpenAI, target } from './support.js';

const weather = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } }, required: ['city'] },
  },
};

const build = (body: Record<string, unknown>) => buildAnthropicBody(fromOpenAI(body), target);
const thrown = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return e as InvalidRequestError;
  }
  throw new Error('expected an error');
};

describe('canonical → Anthropic request', () => {
  it('translates a whole tool-using conversation to the Messages API body', () => {
    const body = build({
      messages: [
        { role: 'system', content: 'You are a weather assistant.' },
        { role: 'user', content: "What's the weather in Paris and Rome?" },
        { role: 'developer', content: 'Answer in metric units.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'And what does this sky look like?' },
            { type: 'image_url', image_url: { url: 'data:image/jpg;base64,/9j/4AAQSkZJRg==', detail: 'high' } },
            { type: 'image_url', image_url: { url: 'https://upload.wikimedia.org/wikipedia/commons/a/a7/Camponotus_flavomarginatus_ant.jpg' } },
          ],
        },
        {
          role: 'assistant',
          content: 'Let me look that up.',
          tool_calls: [
            { id: 'toolu_01A09q90qw90lq917835lq9', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
            { id: 'toolu_01B19r01rx01mr028946mr0', type: 'function', function: { name: 'get_weather', arguments: '{"city": "Rome", "unit": "celsius"}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'toolu_01A09q90qw90lq917835lq9', content: '18C, cloudy' },
        { role: 'tool', tool_call_id: 'toolu_01B19r01rx01mr028946mr0', content: '24C, sunny' },
        { role: 'user', content: 'Thanks! Which is warmer?' },
      ],
      max_tokens: 1024,
      temperature: 0.2,
      stop: '\n\nHuman:',
      user: 'user-7f3a',
      tools: [weather],
      parallel_tool_calls: false,
      stream: true,
    });
    expect(body).toEqual(JSON.parse(fixture('request-conversation.json')));
  });

  it('sends the key as x-api-key with the pinned API version, to /messages', () => {
    const http = anthropic.chat.buildRequest(fromOpenAI({}), target);
    expect(http).toMatchObject({ method: 'POST', path: '/messages' });
    expect(http.headers).toEqual({ 'x-api-key': 'sk-ant-test-key', 'anthropic-version': '2023-06-01', 'content-type': 'application/json' });
    expect(anthropic.connectionCheck(target)).toEqual({ method: 'GET', path: '/models', headers: { 'x-api-key': 'sk-ant-test-key', 'anthropic-version': '2023-06-01' } });
    expect(anthropic.embeddings).toBeUndefined();
  });

  it("fills the required max_tokens from the model's maximum output when the client sets none", () => {
    expect(build({}).max_tokens).toBe(64_000);
    expect(build({ max_completion_tokens: 300 }).max_tokens).toBe(300);
    expect(build({}).system).toBeUndefined();
  });

  it('leaves out empty assistant text and merges the turns around it', () => {
    const body = build({
      messages: [
        { role: 'user', content: 'one' },
        { role: 'assistant', content: '' },
        { role: 'user', content: 'two' },
        { role: 'assistant', content: 'prefill ends with space ' },
      ],
    });
    expect(body.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'one' }, { type: 'text', text: 'two' }] },
      { role: 'assistant', content: [{ type: 'text', text: 'prefill ends with space' }] },
    ]);
  });

  it('puts tool results before user text when both land in one user turn', () => {
    const body = build({
      messages: [
        { role: 'user', content: 'go' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '' } }] },
        { role: 'user', content: 'also this' },
        { role: 'tool', tool_call_id: 'toolu_1', content: '' },
      ],
      tools: [weather],
    });
    const msgs = body.messages as { content: unknown[] }[];
    expect(msgs[1]!.content).toEqual([{ type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: {} }]);
    expect(msgs[2]!.content).toEqual([{ type: 'tool_result', tool_use_id: 'toolu_1' }, { type: 'text', text: 'also this' }]);
  });

  it('replaces tool-call ids Anthropic would refuse by a stable id, the same in the call and its result', () => {
    const body = build({
      messages: [
        { role: 'user', content: 'go' },
        { role: 'assistant', tool_calls: [{ id: 'functions.get_weather:0', type: 'function', function: { name: 'get_weather', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'functions.get_weather:0', content: 'ok' },
      ],
      tools: [weather],
    });
    const [, use, result] = body.messages as { content: { id?: string; tool_use_id?: string }[] }[];
    expect(use!.content[0]!.id).toMatch(/^toolu_[0-9a-f]{24}$/);
    expect(result!.content[0]!.tool_use_id).toBe(use!.content[0]!.id);
  });

  it('maps tool_choice values and drops disable_parallel_tool_use where nothing can be called', () => {
    expect(build({ tools: [weather], tool_choice: 'required' }).tool_choice).toEqual({ type: 'any' });
    expect(build({ tools: [weather], tool_choice: 'none', parallel_tool_calls: false }).tool_choice).toEqual({ type: 'none' });
    expect(build({ tools: [weather], tool_choice: { type: 'function', function: { name: 'get_weather' } } }).tool_choice).toEqual({ type: 'tool', name: 'get_weather' });
    expect(build({ tools: [weather] }).tool_choice).toBeUndefined();
    expect(build({ parallel_tool_calls: false }).tool_choice).toBeUndefined();
    expect(build({ tools: [{ type: 'function', function: { name: 'ping' } }] }).tools).toEqual([{ name: 'ping', input_schema: { type: 'object', properties: {} } }]);
  });

  it('honours JSON mode with a forced tool, and refuses it alongside client tools', () => {
    const obj = build({ response_format: { type: 'json_object' } });
    expect(obj.tools).toEqual([expect.objectContaining({ name: 'tollgate_json_response', input_schema: { type: 'object' } })]);
    expect(obj.tool_choice).toEqual({ type: 'tool', name: 'tollgate_json_response', disable_parallel_tool_use: true });

    const schema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false };
    const js = build({ response_format: { type: 'json_schema', json_schema: { name: 'weather_report', schema, strict: true } } });
    expect(js.tools).toEqual([expect.objectContaining({ name: 'tollgate_json_response', input_schema: schema, strict: true })]);

    expect(thrown(() => build({ response_format: { type: 'json_object' }, tools: [weather] }))).toMatchObject({ kind: 'invalid_request', param: 'response_format' });
    expect(thrown(() => build({ response_format: { type: 'json_schema', json_schema: { name: 'list', schema: { type: 'array' } } } }))).toMatchObject({
      param: 'response_format.json_schema.schema',
    });
    expect(thrown(() => build({ tools: [{ type: 'function', function: { name: 'tollgate_json_response' } }] }))).toMatchObject({ kind: 'invalid_request' });
  });

  it.each([
    ['n', { n: 2 }],
    ['seed', { seed: 7 }],
    ['presence_penalty', { presence_penalty: 0.5 }],
    ['frequency_penalty', { frequency_penalty: 0.5 }],
    ['logit_bias', { logit_bias: { '50256': -100 } }],
    ['logprobs', { logprobs: true }],
    ['store', { store: true }],
  ])('rejects %s with a 400 naming it', (param, extra) => {
    const err = thrown(() => build(extra));
    expect(err).toBeInstanceOf(UnsupportedParameterError);
    expect(err).toMatchObject({ kind: 'invalid_request', param });
  });

  it('rejects top_logprobs on its own too', () => {
    const req = fromOpenAI({});
    req.params.topLogprobs = 2;
    expect(thrown(() => buildAnthropicBody(req, target))).toMatchObject({ kind: 'invalid_request', param: 'top_logprobs' });
  });

  it("rejects a temperature outside Anthropic's 0..1 range", () => {
    expect(thrown(() => build({ temperature: 1.5 }))).toMatchObject({ kind: 'invalid_request', param: 'temperature', code: 'invalid_value' });
    expect(build({ temperature: 1, top_p: 0.9 })).toMatchObject({ temperature: 1, top_p: 0.9 });
  });

  it('rejects what Anthropic cannot carry: unparseable tool arguments, names, a leading assistant turn, odd images', () => {
    const badArgs = thrown(() =>
      build({ messages: [{ role: 'user', content: 'x' }, { role: 'assistant', tool_calls: [{ id: 't', type: 'function', function: { name: 'f', arguments: '{oops' } }] }] }),
    );
    expect(badArgs).toMatchObject({ kind: 'invalid_request', param: 'messages[1].tool_calls[0].function.arguments' });
    expect(thrown(() => build({ messages: [{ role: 'user', content: 'x', name: 'bob' }] }))).toMatchObject({ param: 'messages[0].name' });
    expect(thrown(() => build({ messages: [{ role: 'system', content: 's' }, { role: 'assistant', content: 'hi' }] }))).toBeInstanceOf(InvalidRequestError);
    const bmp = { role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/bmp;base64,Qk0=' } }] };
    expect(thrown(() => build({ messages: [bmp] }))).toMatchObject({ param: 'messages[0].content[0].image_url.url' });
  });

  it('maps reasoning_effort to a thinking budget that leaves max_tokens room for the answer', () => {
    expect(build({ reasoning_effort: 'medium' }).thinking).toEqual({ type: 'enabled', budget_tokens: 8192 });
    expect(build({ reasoning_effort: 'high', max_tokens: 4096 }).thinking).toEqual({ type: 'enabled', budget_tokens: 3072 });
    expect(thrown(() => build({ reasoning_effort: 'low', max_tokens: 1500 }))).toMatchObject({ kind: 'invalid_request', param: 'max_tokens' });
  });

  it('refuses reasoning_effort in the combinations Anthropic refuses with thinking', () => {
    const toolTurn = [
      { role: 'user', content: 'weather?' },
      { role: 'assistant', tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } }] },
      { role: 'tool', tool_call_id: 'toolu_1', content: '3C' },
    ];
    for (const extra of [
      { temperature: 0.5 },
      { top_p: 0.5 },
      { tools: [weather], tool_choice: 'required' },
      { response_format: { type: 'json_object' } },
      { messages: toolTurn, tools: [weather] },
    ]) {
      expect(thrown(() => build({ reasoning_effort: 'low', ...extra }))).toMatchObject({ kind: 'invalid_request', param: 'reasoning_effort' });
    }
    expect(build({ reasoning_effort: 'low', temperature: 1, top_p: 0.95, tools: [weather] }).thinking).toEqual({ type: 'enabled', budget_tokens: 2048 });
  });
});
