import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../../../src/errors.js';
import { parseMessagesRequest } from '../../../../src/http/anthropic/parse.js';

const parse = (body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  parseMessagesRequest({ model: 'm', max_tokens: 100, messages: [{ role: 'user', content: 'Hi' }], ...body }, headers);

function rejection(fn: () => unknown): InvalidRequestError {
  try {
    fn();
  } catch (e) {
    if (e instanceof InvalidRequestError) return e;
    throw e;
  }
  throw new Error('expected a 400');
}

describe('Anthropic Messages body → canonical request', () => {
  it('reads system blocks, a tool-use turn with thinking, tool results before the rest of the user turn', () => {
    const req = parse({
      system: [{ type: 'text', text: 'A' }, { type: 'text', text: 'B', cache_control: { type: 'ephemeral' } }],
      messages: [
        { role: 'user', content: 'Weather?' },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'hmm', signature: 'sig' },
            { type: 'text', text: 'Let me look.' },
            { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Oslo' } },
          ],
        },
        { role: 'user', content: [{ type: 'text', text: 'and quickly' }, { type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: '3C' }] }] },
      ],
    });
    expect(req.messages).toEqual([
      { role: 'system', text: 'A\n\nB' },
      { role: 'user', content: [{ type: 'text', text: 'Weather?' }] },
      { role: 'assistant', text: 'Let me look.', toolCalls: [{ id: 'toolu_1', name: 'get_weather', arguments: '{"city":"Oslo"}' }], thinking: [{ type: 'thinking', thinking: 'hmm', signature: 'sig' }] },
      { role: 'tool', toolCallId: 'toolu_1', text: '3C' },
      { role: 'user', content: [{ type: 'text', text: 'and quickly' }] },
    ]);
    expect(req.wire?.unmodelled).toBeUndefined();
  });

  it('maps the parameter table: sampling, stops, user, thinking, effort, tools and tool_choice', () => {
    const req = parse({
      temperature: 0.5, top_p: 0.9, top_k: 40, stop_sequences: ['END'], metadata: { user_id: 'u1' },
      thinking: { type: 'enabled', budget_tokens: 2048 }, output_config: { effort: 'high' },
      tools: [{ name: 't', input_schema: { type: 'object' } }], tool_choice: { type: 'any', disable_parallel_tool_use: true },
      stream: true,
    });
    expect(req.params).toEqual({ maxTokens: 100, temperature: 0.5, topP: 0.9, topK: 40, stop: ['END'], user: 'u1', thinkingBudget: 2048, reasoningEffort: 'high', parallelToolCalls: false });
    expect(req.toolChoice).toBe('required');
    expect(req.stream).toBe(true);
    expect(parse({ tool_choice: { type: 'tool', name: 't' }, tools: [{ name: 't', input_schema: { type: 'object' } }] }).toolChoice).toEqual({ name: 't' });
  });

  it('names what only Anthropic can honour, and keeps the body and forwarded headers', () => {
    const req = parse(
      {
        service_tier: 'auto',
        tools: [{ type: 'web_search_20250305', name: 'web_search' }],
        output_config: { effort: 'max' },
        messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'doc' } }, { type: 'text', text: 'Sum up' }] }],
      },
      { 'anthropic-beta': 'x-2025', 'anthropic-version': '2023-06-01', authorization: 'Bearer secret' },
    );
    expect([...req.wire!.unmodelled!].sort()).toEqual(['messages.0.content.0.type=document', 'output_config.effort=max', 'service_tier', 'tools.0.type=web_search_20250305']);
    expect(req.wire?.headers).toEqual({ 'anthropic-beta': 'x-2025', 'anthropic-version': '2023-06-01' });
    expect(req.wire?.format).toBe('anthropic');
  });

  it("refuses what Anthropic refuses, naming the field", () => {
    expect(rejection(() => parse({ max_tokens: undefined })).param).toBe('max_tokens');
    expect(rejection(() => parse({ temperature: 1.5 })).param).toBe('temperature');
    expect(rejection(() => parse({ bogus: 1 })).message).toBe('bogus: Extra inputs are not permitted');
    expect(rejection(() => parse({ tool_choice: { type: 'auto' } })).param).toBe('tool_choice');
    expect(rejection(() => parse({ messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'nope' }] }] })).message).toContain('nope');
    expect(rejection(() => parse({ thinking: { type: 'enabled', budget_tokens: 10 } })).param).toBe('thinking.budget_tokens');
  });

  it('accepts a count_tokens body without max_tokens', () => {
    expect(parseMessagesRequest({ model: 'm', messages: [{ role: 'user', content: 'Hi' }] }, {}, { countTokens: true }).params.maxTokens).toBeUndefined();
  });
});
