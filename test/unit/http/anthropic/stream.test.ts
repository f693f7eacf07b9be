import { describe, expect, it } from 'vitest';
import { AnthropicStreamEncoder } from '../../../../src/http/anthropic/stream.js';
import { UpstreamError } from '../../../../src/errors.js';

const ident = { id: 'msg_req1', created: 1, model: 'gpt-x' };
const report = { cost: '0.000010', balance: '1.000000', estimated: false };
const usage = { promptTokens: 10, completionTokens: 4, cachedPromptTokens: 2, cacheWriteTokens: 3, reasoningTokens: 0 };

function events(text: string) {
  return text.split('\n\n').filter(Boolean).map((b) => {
    const [ev, data] = b.split('\n');
    return { event: ev!.slice(7), data: JSON.parse(data!.slice(6)) as Record<string, any> };
  });
}

describe('Anthropic stream encoder', () => {
  it('frames canonical chunks as content blocks, one at a time, and ends with usage and the cost', () => {
    const enc = new AnthropicStreamEncoder(ident);
    let out = enc.chunk({ choices: [{ index: 0, role: 'assistant' }], promptUsage: { promptTokens: 10, cachedPromptTokens: 2, cacheWriteTokens: 3 } });
    out += enc.chunk({ choices: [{ index: 0, text: 'Hel' }] });
    out += enc.chunk({ choices: [{ index: 0, text: 'lo' }] });
    out += enc.chunk({ choices: [{ index: 0, toolCalls: [{ index: 0, id: 'call_1', name: 'f' }] }] });
    out += enc.chunk({ choices: [{ index: 0, toolCalls: [{ index: 0, arguments: '{"a":' }] }] });
    out += enc.chunk({ choices: [{ index: 0, toolCalls: [{ index: 0, arguments: '1}' }] }] });
    out += enc.chunk({ choices: [{ index: 0, finishReason: 'tool_calls' }] });
    out += enc.end(usage, report);
    const ev = events(out);
    expect(ev.map((e) => e.event)).toEqual([
      'message_start', 'ping',
      'content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_stop',
      'content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_stop',
      'message_delta', 'message_stop',
    ]);
    expect(ev[0]!.data.message).toMatchObject({ id: 'msg_req1', model: 'gpt-x', usage: { input_tokens: 5, cache_read_input_tokens: 2, cache_creation_input_tokens: 3 } });
    expect(ev[6]!.data).toEqual({ type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'call_1', name: 'f', input: {} } });
    expect(ev[8]!.data.delta).toEqual({ type: 'input_json_delta', partial_json: '1}' });
    expect(ev[10]!.data).toEqual({
      type: 'message_delta',
      delta: { stop_reason: 'tool_use', stop_sequence: null },
      usage: { input_tokens: 5, cache_creation_input_tokens: 3, cache_read_input_tokens: 2, output_tokens: 4 },
      x_tollgate: report,
    });
  });

  it('relays Anthropic events as received, holding message_delta and message_stop until the end', () => {
    const enc = new AnthropicStreamEncoder(ident);
    const start = 'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_up"}}\n\n';
    const delta = 'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":3}}\n\n';
    const stop = 'event: message_stop\ndata: {"type":"message_stop"}\n\n';
    expect(enc.chunk({ choices: [{ index: 0, role: 'assistant' }], raw: { format: 'anthropic', text: start } })).toBe(start);
    expect(enc.chunk({ choices: [], raw: { format: 'anthropic', text: delta } })).toBe('');
    expect(enc.chunk({ choices: [{ index: 0, finishReason: 'stop' }], raw: { format: 'anthropic', text: stop } })).toBe('');
    const ev = events(enc.end(usage, report));
    expect(ev.map((e) => e.event)).toEqual(['message_delta', 'message_stop']);
    expect(ev[0]!.data).toEqual({ type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 3 }, x_tollgate: report });
  });

  it("writes a failure as Anthropic's error event", () => {
    const err = new UpstreamError('unavailable', 'Anthropic: Overloaded', { upstreamStatus: 529 });
    expect(events(new AnthropicStreamEncoder(ident).error(err))).toEqual([{ event: 'error', data: { type: 'error', error: { type: 'overloaded_error', message: 'Anthropic: Overloaded' } } }]);
  });
});
