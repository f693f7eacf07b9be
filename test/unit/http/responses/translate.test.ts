import { describe, expect, it } from 'vitest';
import type { StreamChunk } from '../../../../src/canonical/index.js';
import { GatewayError } from '../../../../src/errors.js';
import { parseResponsesRequest } from '../../../../src/http/responses/parse.js';
import { ResponsesStreamEncoder } from '../../../../src/http/responses/stream.js';

const ident = { id: 'resp_r1', created: 1_700_000_000, model: 'gpt-4o-mini-2024-07-18' };
const report = { cost: '0.000010', balance: '9.000000', estimated: false };
const events = (sse: string) =>
  sse
    .split('\n\n')
    .filter(Boolean)
    .map((e) => JSON.parse(e.split('\n')[1]!.slice(6)) as Record<string, any>);

describe('Responses body → canonical request', () => {
  it('reads instructions, message items, function calls joined to their turn, and tool outputs', () => {
    const req = parseResponsesRequest({
      model: 'm',
      instructions: 'Be terse.',
      input: [
        { role: 'user', content: 'weather?' },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Checking.' }] },
        { type: 'function_call', call_id: 'c1', name: 'get_weather', arguments: '{"city":"Paris"}' },
        { type: 'function_call_output', call_id: 'c1', output: 'sunny' },
      ],
      max_output_tokens: 50,
      text: { format: { type: 'json_schema', name: 'w', schema: { type: 'object' } }, verbosity: 'low' },
      reasoning: { effort: 'low' },
      tools: [{ type: 'function', name: 'get_weather', parameters: { type: 'object' } }],
      tool_choice: { type: 'function', name: 'get_weather' },
    });
    expect(req.messages).toEqual([
      { role: 'system', text: 'Be terse.' },
      { role: 'user', content: [{ type: 'text', text: 'weather?' }] },
      { role: 'assistant', text: 'Checking.', toolCalls: [{ id: 'c1', name: 'get_weather', arguments: '{"city":"Paris"}' }] },
      { role: 'tool', toolCallId: 'c1', text: 'sunny' },
    ]);
    expect(req.params).toEqual({ maxTokens: 50, reasoningEffort: 'low' });
    expect(req.responseFormat).toEqual({ type: 'json_schema', name: 'w', schema: { type: 'object' } });
    expect(req.toolChoice).toEqual({ name: 'get_weather' });
    expect(req.extra).toEqual({ verbosity: 'low' });
    expect(req.wire).toBeUndefined();
  });

  it('refuses an output that answers no call, naming the input item', () => {
    expect(() => parseResponsesRequest({ model: 'm', input: [{ type: 'function_call_output', call_id: 'x', output: 'y' }] })).toThrow(
      expect.objectContaining({ param: 'input[0]' }),
    );
  });
});

describe('canonical stream → Responses events', () => {
  it('frames text then a tool call as two items, numbering every event', () => {
    const enc = new ResponsesStreamEncoder({ model: 'm', messages: [], stream: true, includeUsage: false, params: {} }, ident);
    const chunks: StreamChunk[] = [
      { choices: [{ index: 0, role: 'assistant', text: '' }] },
      { choices: [{ index: 0, text: 'Hi ' }] },
      { choices: [{ index: 0, text: 'there' }] },
      { choices: [{ index: 0, toolCalls: [{ index: 0, id: 'call_1', name: 'f', arguments: '{"a"' }] }] },
      { choices: [{ index: 0, toolCalls: [{ index: 0, arguments: ':1}' }] }] },
      { choices: [{ index: 0, finishReason: 'tool_calls' }] },
    ];
    const out = events(chunks.map((c) => enc.chunk(c)).join('') + enc.end({ promptTokens: 2, completionTokens: 3, cachedPromptTokens: 1, cacheWriteTokens: 0, reasoningTokens: 0 }, report));
    expect(out.map((e) => e.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(out.map((e) => e.sequence_number)).toEqual(out.map((_, i) => i));
    const done = out.at(-1)!;
    expect(done.response.output).toEqual([
      { id: 'msg_r1', type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'Hi there', annotations: [], logprobs: [] }] },
      { id: 'fc_r1_0', type: 'function_call', status: 'completed', call_id: 'call_1', name: 'f', arguments: '{"a":1}' },
    ]);
    expect(done.response.usage).toEqual({ input_tokens: 2, input_tokens_details: { cached_tokens: 1 }, output_tokens: 3, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 5 });
    expect(done.x_tollgate).toEqual(report);
  });

  it('ends a failed stream with error and response.failed', () => {
    const enc = new ResponsesStreamEncoder({ model: 'm', messages: [], stream: true, includeUsage: false, params: {} }, ident);
    const out = events(enc.chunk({ choices: [{ index: 0, text: 'Hi' }] }) + enc.error(new GatewayError('upstream', 'cut', { code: 'upstream_stream_cut' })));
    expect(out.slice(-2).map((e) => e.type)).toEqual(['error', 'response.failed']);
    expect(out.at(-1)!.response).toMatchObject({ status: 'failed', error: { code: 'upstream_stream_cut', message: 'cut' } });
  });
});
