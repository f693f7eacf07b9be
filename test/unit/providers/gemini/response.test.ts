import { describe, expect, it } from 'vitest';
import { UpstreamError } from '../../../../src/errors.js';
import { parseGeminiChatResponse } from '../../../../src/providers/gemini/response.js';
import { fixture, target } from './support.js';

const parse = (name: string) => parseGeminiChatResponse(fixture(name), target);

describe('Gemini response translation', () => {
  it('joins text parts and reports usage in the canonical convention', () => {
    const r = parse('generate-text.json');
    expect(r.id).toBe('mO5vaLXfJYyPz7IP3uGk8Ac');
    expect(r.model).toBe('gemini-2.5-flash');
    expect(r.choices).toEqual([{ index: 0, text: 'The capital of France is Paris.', finishReason: 'stop' }]);
    // completion = candidates + thoughts; cached content is part of the prompt count.
    expect(r.usage).toEqual({ promptTokens: 1210, completionTokens: 52, cachedPromptTokens: 1024, cacheWriteTokens: 0, reasoningTokens: 45 });
  });

  it('turns function calls into tool calls with ids derived from the responseId', () => {
    const r = parse('generate-function-calls.json');
    expect(r.choices[0]).toEqual({
      index: 0,
      text: null,
      finishReason: 'tool_calls',
      toolCalls: [
        { id: 'call_fc9x2aQdN4KJ1MkPq7bN-Qk_0', name: 'get_weather', arguments: '{"city":"Paris","unit":"celsius"}' },
        { id: 'call_fc9x2aQdN4KJ1MkPq7bN-Qk_1', name: 'get_time', arguments: '{"timezone":"Europe/Paris"}' },
      ],
    });
  });

  it('keeps an id Gemini gave to a function call', () => {
    const body = JSON.parse(fixture('generate-function-calls.json'));
    body.candidates[0].content.parts[1].functionCall.id = 'gemini-call-7';
    const r = parseGeminiChatResponse(JSON.stringify(body), target);
    expect(r.choices[0]!.toolCalls!.map((c) => c.id)).toEqual(['call_fc9x2aQdN4KJ1MkPq7bN-Qk_0', 'gemini-call-7']);
  });

  it('returns one choice per candidate, in index order', () => {
    const r = parse('generate-candidates.json');
    expect(r.choices.map((c) => [c.index, c.text, c.finishReason])).toEqual([
      [0, 'First take.', 'stop'],
      [1, 'Second take.', 'length'],
    ]);
  });

  it('never returns thought parts as answer text, and bills thinking as reasoning output', () => {
    const r = parse('generate-thoughts.json');
    expect(r.choices[0]!.text).toBe('Yes.');
    expect(r.usage).toMatchObject({ completionTokens: 298, reasoningTokens: 297 });
  });

  it('maps a safety stop to content_filter with no content', () => {
    const r = parse('generate-safety.json');
    expect(r.choices).toEqual([{ index: 0, text: null, finishReason: 'content_filter' }]);
    expect(r.usage).toMatchObject({ promptTokens: 14, completionTokens: 0 });
  });

  it('answers a blocked prompt with a refusal and content_filter, keeping the prompt usage', () => {
    const r = parse('generate-blocked-prompt.json');
    expect(r.choices).toEqual([
      { index: 0, text: null, finishReason: 'content_filter', refusal: 'Gemini blocked the prompt (PROHIBITED_CONTENT): The prompt was blocked because it may contain prohibited content.' },
    ]);
    expect(r.usage).toMatchObject({ promptTokens: 9 });
  });

  it('renders logprobs in the OpenAI shape', () => {
    const r = parse('generate-logprobs.json');
    expect(r.choices[0]!.logprobs).toEqual({
      content: [
        { token: 'Hi', logprob: -0.0121, bytes: [72, 105], top_logprobs: [{ token: 'Hi', logprob: -0.0121, bytes: [72, 105] }, { token: 'Hello', logprob: -4.51, bytes: [72, 101, 108, 108, 111] }] },
        { token: ' there', logprob: -0.1405, bytes: [32, 116, 104, 101, 114, 101], top_logprobs: [{ token: ' there', logprob: -0.1405, bytes: [32, 116, 104, 101, 114, 101] }, { token: '!', logprob: -2.06, bytes: [33] }] },
      ],
      refusal: null,
    });
  });

  it.each([['not json'], ['[]'], ['{"usageMetadata":{}}']])('reports %s as a malformed upstream response (502)', (text) => {
    const err = (() => {
      try {
        parseGeminiChatResponse(text, target);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(UpstreamError);
    expect(err).toMatchObject({ kind: 'upstream', code: 'upstream_malformed_response' });
  });
});
