import { describe, expect, it } from 'vitest';
import { UpstreamError } from '../../../../src/errors.js';
import { parseAnthropicResponse } from '../../../../src/providers/anthropic/response.js';
import { fixture } from './support.js';

describe('Anthropic response → canonical', () => {
  it('joins text blocks and reports usage in the canonical convention (cache reads and writes inside promptTokens)', () => {
    const r = parseAnthropicResponse(fixture('message-text.json'));
    expect(r).toMatchObject({ id: 'msg_01XFDUDYJgAACzvnptvVoYEL', model: 'claude-sonnet-4-5-20250929' });
    expect(r.choices).toEqual([{ index: 0, text: 'Hello! How can I help you today?', finishReason: 'stop' }]);
    expect(r.usage).toEqual({ promptTokens: 12 + 2048 + 1500, completionTokens: 9, cachedPromptTokens: 2048, cacheWriteTokens: 1500, reasoningTokens: 0 });
  });

  it('turns tool_use blocks into tool calls with the input as JSON arguments', () => {
    const r = parseAnthropicResponse(fixture('message-tool-use.json'));
    const c = r.choices[0]!;
    expect(c.finishReason).toBe('tool_calls');
    expect(c.text).toBe("I'll check the current weather in both cities.");
    expect(c.toolCalls).toEqual([
      { id: 'toolu_01A09q90qw90lq917835lq9', name: 'get_weather', arguments: '{"location":"San Francisco, CA","unit":"celsius"}' },
      { id: 'toolu_01B19r01rx01mr028946mr0', name: 'get_weather', arguments: '{"location":"New York, NY","unit":"celsius"}' },
    ]);
  });

  it('keeps thinking out of the answer text, with its signature apart, and counts thinking tokens as reasoning', () => {
    const r = parseAnthropicResponse(fixture('message-thinking.json'));
    expect(r.choices[0]!.text).toBe('27 × 453 = 12,231.');
    expect(r.choices[0]!.thinking).toEqual([
      { type: 'thinking', thinking: expect.stringContaining('27 * 453'), signature: 'EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds' },
      { type: 'redacted_thinking', data: 'EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP' },
    ]);
    expect(r.raw).toEqual({ format: 'anthropic', text: fixture('message-thinking.json') });
    expect(r.usage).toMatchObject({ completionTokens: 96, reasoningTokens: 80 });
  });

  it("returns the JSON-mode tool's input as the message text, finishing with 'stop'", () => {
    const c = parseAnthropicResponse(fixture('message-json-mode.json')).choices[0]!;
    expect(c.toolCalls).toBeUndefined();
    expect(c.finishReason).toBe('stop');
    expect(JSON.parse(c.text!)).toEqual({ city: 'Paris', temperature_c: 21, conditions: ['sunny', 'light wind'] });
  });

  it('maps max_tokens to length and reads null cache fields as zero', () => {
    const r = parseAnthropicResponse(fixture('message-max-tokens.json'));
    expect(r.choices[0]!.finishReason).toBe('length');
    expect(r.usage).toMatchObject({ promptTokens: 10, cachedPromptTokens: 0, cacheWriteTokens: 0 });
  });

  it.each([
    ['refusal', 'content_filter'],
    ['stop_sequence', 'stop'],
    ['pause_turn', 'stop'],
    ['model_context_window_exceeded', 'length'],
    ['something_new', 'stop'],
  ])('maps stop_reason %s to %s', (stop, finish) => {
    const body = JSON.parse(fixture('message-text.json'));
    body.stop_reason = stop;
    expect(parseAnthropicResponse(JSON.stringify(body)).choices[0]!.finishReason).toBe(finish);
  });

  it('rejects a body that is not a message as a malformed upstream response', () => {
    for (const text of ['{"id": "msg_1", "content": "nope"}', '<html>bad gateway</html>', '{"type":"message","content":[{"type":"text"']) {
      let err: unknown;
      try {
        parseAnthropicResponse(text);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(UpstreamError);
      expect(err).toMatchObject({ kind: 'upstream', code: 'upstream_malformed_response' });
    }
  });
});
