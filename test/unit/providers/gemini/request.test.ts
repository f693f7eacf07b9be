import { describe, expect, it } from 'vitest';
import type { ChatParams, Message } from '../../../../src/canonical/index.js';
import { InvalidRequestError, UnsupportedParameterError } from '../../../../src/errors.js';
import { buildGeminiChatBody, geminiChatRequest } from '../../../../src/providers/gemini/request.js';
import { chat, target } from './support.js';

const user = (text: string): Message => ({ role: 'user', content: [{ type: 'text', text }] });
const body = (over: Parameters<typeof chat>[0]) => buildGeminiChatBody(chat(over)) as Record<string, any>;

describe('Gemini request translation', () => {
  it('posts to the model method with the key in x-goog-api-key, never in the URL', () => {
    const r = geminiChatRequest(chat(), target);
    expect(r.path).toBe('/models/gemini-2.5-flash:generateContent');
    expect(r.headers).toEqual({ 'x-goog-api-key': 'AIza-test-key', 'content-type': 'application/json' });
    expect(r.path).not.toContain('key=');
    const s = geminiChatRequest(chat({ stream: true }), { ...target, model: { ...target.model, upstreamModel: 'tunedModels/my-tune' } });
    expect(s.path).toBe('/tunedModels/my-tune:streamGenerateContent?alt=sse');
  });

  it('hoists every system message into one systemInstruction, joined by a blank line', () => {
    const b = body({ messages: [{ role: 'system', text: 'Be brief.' }, user('Hi'), { role: 'system', text: 'Answer in French.' }] });
    expect(b.systemInstruction).toEqual({ parts: [{ text: 'Be brief.\n\nAnswer in French.' }] });
    expect(b.contents).toEqual([{ role: 'user', parts: [{ text: 'Hi' }] }]);
  });

  it('maps assistant to model and merges consecutive turns of one role', () => {
    const b = body({ messages: [user('one'), user('two'), { role: 'assistant', text: 'three' }, { role: 'assistant', text: '' }, user('four')] });
    expect(b.contents).toEqual([
      { role: 'user', parts: [{ text: 'one' }, { text: 'two' }] },
      { role: 'model', parts: [{ text: 'three' }] },
      { role: 'user', parts: [{ text: 'four' }] },
    ]);
  });

  it('turns tool calls into functionCall parts and tool results into named functionResponse parts', () => {
    const b = body({
      messages: [
        user('weather and time in Paris?'),
        { role: 'assistant', text: null, toolCalls: [{ id: 'call_a', name: 'get_weather', arguments: '{"city":"Paris"}' }, { id: 'call_b', name: 'get_time', arguments: '' }] },
        { role: 'tool', toolCallId: 'call_a', text: '{"temp":21}' },
        { role: 'tool', toolCallId: 'call_b', text: '14:05' },
      ],
    });
    expect(b.contents[1]).toEqual({
      role: 'model',
      parts: [{ functionCall: { id: 'call_a', name: 'get_weather', args: { city: 'Paris' } } }, { functionCall: { id: 'call_b', name: 'get_time', args: {} } }],
    });
    expect(b.contents[2]).toEqual({
      role: 'user',
      parts: [
        { functionResponse: { id: 'call_a', name: 'get_weather', response: { temp: 21 } } },
        { functionResponse: { id: 'call_b', name: 'get_time', response: { result: '14:05' } } },
      ],
    });
  });

  it('wraps tool results that are not a JSON object (arrays, broken JSON) as {result}', () => {
    const b = body({
      messages: [user('x'), { role: 'assistant', text: null, toolCalls: [{ id: 'c', name: 'f', arguments: '{}' }] }, { role: 'tool', toolCallId: 'c', text: '[1,2]' }],
    });
    expect(b.contents[2].parts[0].functionResponse.response).toEqual({ result: '[1,2]' });
  });

  it('rejects tool-call arguments that are not a JSON object with a 400 naming the message', () => {
    const req = chat({ messages: [user('x'), { role: 'assistant', text: null, toolCalls: [{ id: 'c', name: 'f', arguments: '{"city": Par' }] }] });
    expect(() => buildGeminiChatBody(req)).toThrowError(InvalidRequestError);
    expect(() => buildGeminiChatBody(req)).toThrowError(/messages\[1\]\.tool_calls\[0\]\.function\.arguments/);
  });

  it('sends data: URL images inline and refuses http(s) image URLs with a 400', () => {
    const b = body({ messages: [{ role: 'user', content: [{ type: 'text', text: 'what is this?' }, { type: 'image', url: 'data:image/PNG;base64,iVBORw0KGgo=', detail: 'high' }] }] });
    expect(b.contents[0].parts[1]).toEqual({ inlineData: { mimeType: 'image/png', data: 'iVBORw0KGgo=' } });
    expect(b.generationConfig.mediaResolution).toBe('MEDIA_RESOLUTION_HIGH');
    const remote = chat({ messages: [{ role: 'user', content: [{ type: 'image', url: 'https://example.com/cat.png' }] }] });
    expect(() => buildGeminiChatBody(remote)).toThrowError(/base64 data: URL/);
  });

  it('maps sampling parameters into generationConfig', () => {
    const b = body({ params: { maxTokens: 100, temperature: 0.3, topP: 0.9, stop: ['END'], n: 2, seed: 7, presencePenalty: 0.5, frequencyPenalty: -0.5, logprobs: true, topLogprobs: 3, user: 'u-1', reasoningEffort: 'low', parallelToolCalls: true } });
    expect(b.generationConfig).toEqual({
      maxOutputTokens: 100, temperature: 0.3, topP: 0.9, stopSequences: ['END'], candidateCount: 2, seed: 7, presencePenalty: 0.5,
      frequencyPenalty: -0.5, responseLogprobs: true, logprobs: 3, thinkingConfig: { thinkingBudget: 1024 },
    });
  });

  it.each<[string, ChatParams]>([
    ['logit_bias', { logitBias: { '50256': -100 } }],
    ['stop', { stop: ['a', 'b', 'c', 'd', 'e', 'f'] }],
    ['parallel_tool_calls', { parallelToolCalls: false }],
  ])('rejects %s with a 400 naming it', (name, params) => {
    const run = () => buildGeminiChatBody(chat({ params }));
    expect(run).toThrowError(UnsupportedParameterError);
    expect(run).toThrowError(new RegExp(`'${name}'`));
  });

  it('rejects OpenAI-only fields and out-of-range values', () => {
    expect(() => buildGeminiChatBody(chat({ extra: { store: true } }))).toThrowError(/'store' is not supported by the Gemini provider/);
    expect(() => buildGeminiChatBody(chat({ params: { temperature: 2.5 } }))).toThrowError(/'temperature' must be between 0 and 2/);
    expect(() => buildGeminiChatBody(chat({ messages: [{ role: 'user', name: 'bob', content: [{ type: 'text', text: 'hi' }] }] }))).toThrowError(/messages\[0\]\.name/);
  });

  it('declares tools with their JSON Schema and maps tool_choice', () => {
    const tools = [
      { name: 'get_weather', description: 'Weather now', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false } },
      { name: 'ping', parameters: { type: 'object', properties: {} } },
    ];
    const b = body({ tools, toolChoice: { name: 'get_weather' } });
    expect(b.tools).toEqual([{ functionDeclarations: [{ name: 'get_weather', description: 'Weather now', parametersJsonSchema: tools[0]!.parameters }, { name: 'ping' }] }]);
    expect(b.toolConfig).toEqual({ functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['get_weather'] } });
    expect(body({ tools, toolChoice: 'required' }).toolConfig.functionCallingConfig).toEqual({ mode: 'ANY' });
    expect(body({ tools, toolChoice: 'none' }).toolConfig.functionCallingConfig).toEqual({ mode: 'NONE' });
    expect(body({ tools, toolChoice: 'auto' }).toolConfig.functionCallingConfig).toEqual({ mode: 'AUTO' });
    expect(body({ toolChoice: 'none' }).toolConfig).toBeUndefined();
  });

  it('maps response_format to responseMimeType and responseJsonSchema', () => {
    expect(body({ responseFormat: { type: 'json_object' } }).generationConfig).toEqual({ responseMimeType: 'application/json' });
    const schema = { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] };
    expect(body({ responseFormat: { type: 'json_schema', name: 'answer', schema, strict: true }, params: { maxTokens: 5 } }).generationConfig).toEqual({
      maxOutputTokens: 5, responseMimeType: 'application/json', responseJsonSchema: schema,
    });
  });

  it('refuses a conversation of system messages only', () => {
    expect(() => buildGeminiChatBody(chat({ messages: [{ role: 'system', text: 'x' }] }))).toThrowError(/at least one user or assistant message/);
  });
});
