import Anthropic, { BadRequestError } from '@anthropic-ai/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import type { MockUpstream } from '../../mock-upstream/server.js';
import { CHAT_MODELS } from '../../helpers/catalogue.js';
import type { TestGateway } from '../../helpers/gateway.js';
import { useGatewayHarness } from '../../helpers/harness.js';
import { anthropicClient, PIXEL_PNG, upstreamCalls, weatherTool, type ProviderKind } from './support.js';

/**
 * One contract for the Anthropic Messages ingress, run against every provider behind the mock
 * upstream with the official @anthropic-ai/sdk. Each provider only declares what it can do.
 */
interface Capabilities {
  kind: ProviderKind;
  /** blocks: thinking comes back as signed blocks; accepted: the provider thinks but shows no blocks; unsupported: 400. */
  thinking: 'blocks' | 'accepted' | 'unsupported';
  /** The provider says which stop sequence ended the answer. */
  namesStopSequence: boolean;
  /** The provider counts prompts itself (count_tokens is forwarded). */
  countsTokens: boolean;
}

const PROVIDERS: Capabilities[] = [
  { kind: 'anthropic', thinking: 'blocks', namesStopSequence: true, countsTokens: true },
  { kind: 'openai', thinking: 'unsupported', namesStopSequence: false, countsTokens: false },
  { kind: 'gemini', thinking: 'accepted', namesStopSequence: false, countsTokens: false },
  { kind: 'mistral', thinking: 'unsupported', namesStopSequence: false, countsTokens: false },
];

let gw: TestGateway;
let mock: MockUpstream;
let key: string;
useGatewayHarness({ env: { BREAKER_MIN_REQUESTS: '100000' } }, (h) => ({ gw, mock, key } = h));
afterEach(() => {
  mock.faults.clear();
  mock.requests.length = 0;
});

describe.each(PROVIDERS)('Anthropic SDK → gateway → $kind', (p) => {
  const model = CHAT_MODELS[p.kind];
  const client = () => anthropicClient(gw.url, key);

  it('creates a message: text content, end_turn, usage, cost headers', async () => {
    const { data, response } = await client()
      .messages.create({ model, max_tokens: 100, system: [{ type: 'text', text: 'Be brief.' }], messages: [{ role: 'user', content: 'Hello there' }] })
      .withResponse();
    expect(data).toMatchObject({ type: 'message', role: 'assistant', stop_reason: 'end_turn' });
    expect(data.content).toEqual([expect.objectContaining({ type: 'text', text: 'Mock reply to: Hello there' })]);
    expect(data.usage.input_tokens).toBeGreaterThan(0);
    expect(data.usage.output_tokens).toBe(5);
    expect(response.headers.get('x-tollgate-provider')).toBe(p.kind);
    expect(Number(response.headers.get('x-tollgate-cost'))).toBeGreaterThan(0);
    expect(response.headers.get('x-tollgate-balance')).toMatch(/^\d+\.\d+$/);
  });

  it('carries a multi-turn conversation and an image', async () => {
    const msg = await client().messages.create({
      model,
      max_tokens: 100,
      system: 'You look at pictures.',
      messages: [
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello! Send a picture.' },
        { role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: PIXEL_PNG } }, { type: 'text', text: 'What is this?' }] },
      ],
    });
    expect(msg.content[0]).toMatchObject({ type: 'text', text: 'Mock reply to: What is this? (saw 1 image)' });
  });

  it('streams: the SDK assembles the final message from the exact event sequence', async () => {
    const stream = client().messages.stream({ model, max_tokens: 100, messages: [{ role: 'user', content: 'count [[reply:6]]' }] });
    const types: string[] = [];
    const texts: string[] = [];
    stream.on('streamEvent', (e) => types.push(e.type));
    stream.on('text', (t) => texts.push(t));
    const final = await stream.finalMessage();
    expect(texts.join('')).toBe('w1 w2 w3 w4 w5 w6');
    expect(final.content).toEqual([expect.objectContaining({ type: 'text', text: 'w1 w2 w3 w4 w5 w6' })]);
    expect(final.stop_reason).toBe('end_turn');
    expect(final.usage.output_tokens).toBe(6);
    expect(final.usage.input_tokens).toBeGreaterThan(0);
    expect(types[0]).toBe('message_start');
    expect(types.slice(-2)).toEqual(['message_delta', 'message_stop']);
    const body = types.slice(1, -2);
    expect(body[0]).toBe('content_block_start');
    expect(body.at(-1)).toBe('content_block_stop');
    expect(body.slice(1, -1).every((t) => t === 'content_block_delta')).toBe(true);
  });

  it('round-trips a tool call: tool_use out, tool_result back, answer', async () => {
    const first = await client().messages.create({ model, max_tokens: 100, tools: [weatherTool], messages: [{ role: 'user', content: 'Weather in Paris?' }] });
    expect(first.stop_reason).toBe('tool_use');
    const use = first.content.find((b) => b.type === 'tool_use');
    expect(use).toMatchObject({ type: 'tool_use', name: 'get_weather', input: { city: 'mock' } });
    const second = await client().messages.create({
      model,
      max_tokens: 100,
      tools: [weatherTool],
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        { role: 'assistant', content: first.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: (use as Anthropic.ToolUseBlock).id, content: 'sunny' }] },
      ],
    });
    expect(second.stop_reason).toBe('end_turn');
    expect(second.content[0]).toMatchObject({ type: 'text', text: 'Tool result received: sunny' });
  });

  it('streams a forced tool call whose input the SDK parses', async () => {
    const stream = client().messages.stream({ model, max_tokens: 100, tools: [weatherTool], tool_choice: { type: 'tool', name: 'get_weather' }, messages: [{ role: 'user', content: 'Weather?' }] });
    const final = await stream.finalMessage();
    expect(final.stop_reason).toBe('tool_use');
    expect(final.content.find((b) => b.type === 'tool_use')).toMatchObject({ name: 'get_weather', input: { city: 'mock' } });
  });

  it('stops at a stop sequence', async () => {
    const msg = await client().messages.create({ model, max_tokens: 100, stop_sequences: ['w3'], messages: [{ role: 'user', content: 'count [[reply:6]]' }] });
    expect((msg.content[0] as Anthropic.TextBlock).text).toBe('w1 w2 ');
    if (p.namesStopSequence) expect(msg).toMatchObject({ stop_reason: 'stop_sequence', stop_sequence: 'w3' });
    else expect(msg.stop_reason).toBe('end_turn');
  });

  it('handles extended thinking as the provider can', async () => {
    const ask = () => client().messages.create({ model, max_tokens: 4096, thinking: { type: 'enabled', budget_tokens: 1024 }, messages: [{ role: 'user', content: 'Think about it' }] });
    if (p.thinking === 'unsupported') {
      const err = await ask().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BadRequestError);
      expect((err as BadRequestError).type).toBe('invalid_request_error');
      expect((err as BadRequestError).message).toContain('thinking.budget_tokens');
      expect(upstreamCalls(mock, p.kind)).toHaveLength(0);
      return;
    }
    const msg = await ask();
    expect(msg.content.at(-1)).toMatchObject({ type: 'text', text: 'Mock reply to: Think about it' });
    if (p.thinking === 'blocks') expect(msg.content[0]).toMatchObject({ type: 'thinking', thinking: expect.stringContaining('Mock reasoning'), signature: expect.any(String) });
    else expect(msg.content.some((b) => b.type === 'thinking')).toBe(false);
  });

  it('counts tokens without charging, asking the provider when it can count', async () => {
    const { data, response } = await client()
      .messages.countTokens({ model, system: 'Be brief.', messages: [{ role: 'user', content: 'Hello there gateway' }] })
      .withResponse();
    expect(data.input_tokens).toBeGreaterThan(0);
    expect(response.headers.get('x-tollgate-cost')).toBe('0.000000');
    const counted = upstreamCalls(mock, p.kind).filter((r) => r.path.endsWith('/count_tokens'));
    if (p.countsTokens) {
      // The mock counts words: "Be brief." + "Hello there gateway".
      expect(data.input_tokens).toBe(5);
      expect(counted).toHaveLength(1);
    } else expect(upstreamCalls(mock, p.kind)).toHaveLength(0);
  });
});
