import Anthropic from '@anthropic-ai/sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startMockUpstream, type MockUpstream } from './server.js';
import type { FaultRule } from './faults.js';

/** The official Anthropic SDK against the simulator: proves the simulator speaks the real wire format. */

let mock: MockUpstream;
let client: Anthropic;
const model = 'claude-haiku-4-5';
const weatherTool = {
  name: 'get_weather',
  description: 'Current weather for a city',
  input_schema: { type: 'object' as const, properties: { city: { type: 'string' }, days: { type: 'integer' } }, required: ['city'] },
};

beforeAll(async () => {
  mock = await startMockUpstream();
  client = new Anthropic({ apiKey: 'sk-ant-mock', baseURL: `${mock.url}/anthropic`, maxRetries: 0 });
});
afterAll(() => mock?.close());
afterEach(() => mock.faults.clear());

const fault = (rule: FaultRule) => mock.faults.add({ provider: 'anthropic', ...rule });

describe('Anthropic simulator through @anthropic-ai/sdk', () => {
  it('creates a message with text content, stop reason and usage', async () => {
    const msg = await client.messages.create({ model, max_tokens: 100, system: 'Be brief.', messages: [{ role: 'user', content: 'Hello there [[cached:2]]' }] });
    expect(msg.type).toBe('message');
    expect(msg.id).toMatch(/^msg_/);
    expect(msg.content).toEqual([{ type: 'text', text: 'Mock reply to: Hello there [[cached:2]]' }]);
    expect(msg.stop_reason).toBe('end_turn');
    // "Be brief." + "Hello there [[cached:2]]" = 5 words; 2 of them reported as cache reads.
    expect(msg.usage).toMatchObject({ input_tokens: 3, cache_read_input_tokens: 2, cache_creation_input_tokens: 0, output_tokens: 6 });
  });

  it('streams text in several deltas and assembles the final message', async () => {
    const stream = client.messages.stream({ model, max_tokens: 100, messages: [{ role: 'user', content: 'count [[reply:6]]' }] });
    const deltas: string[] = [];
    stream.on('text', (t) => deltas.push(t));
    const final = await stream.finalMessage();
    expect(deltas.length).toBe(6);
    expect(deltas.join('')).toBe('w1 w2 w3 w4 w5 w6');
    expect(final.content).toMatchObject([{ type: 'text', text: 'w1 w2 w3 w4 w5 w6' }]);
    expect(final.stop_reason).toBe('end_turn');
    expect(final.usage.output_tokens).toBe(6);
  });

  it('calls a tool, streams its input as JSON pieces, and accepts the tool result', async () => {
    const created = await client.messages.create({ model, max_tokens: 100, tools: [weatherTool], messages: [{ role: 'user', content: 'Weather in Paris?' }] });
    expect(created.stop_reason).toBe('tool_use');
    const use = created.content.find((b) => b.type === 'tool_use')!;
    expect(use).toMatchObject({ type: 'tool_use', name: 'get_weather', input: { city: 'mock', days: 42 } });

    const stream = client.messages.stream({ model, max_tokens: 100, tools: [weatherTool], tool_choice: { type: 'tool', name: 'get_weather' }, messages: [{ role: 'user', content: 'Weather?' }] });
    const pieces: string[] = [];
    stream.on('inputJson', (partial) => pieces.push(partial));
    const final = await stream.finalMessage();
    expect(pieces.filter(Boolean).length).toBeGreaterThan(1);
    const streamedUse = final.content.find((b) => b.type === 'tool_use');
    expect(streamedUse).toMatchObject({ name: 'get_weather', input: { city: 'mock', days: 42 } });

    const after = await client.messages.create({
      model,
      max_tokens: 100,
      tools: [weatherTool],
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        { role: 'assistant', content: created.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.type === 'tool_use' ? use.id : '', content: 'sunny 21C' }] },
      ],
    });
    expect(after.content[0]).toMatchObject({ type: 'text', text: 'Tool result received: sunny 21C' });
  });

  it('rejects what the real API rejects, as a typed BadRequestError', async () => {
    const err = await client.messages
      .create({ model, max_tokens: 100, messages: [{ role: 'assistant', content: 'I speak first' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect((err as InstanceType<typeof Anthropic.BadRequestError>).error).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });

    const orphan = await client.messages
      .create({ model, max_tokens: 100, messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_nope', content: 'x' }] }] })
      .catch((e: unknown) => e);
    expect(orphan).toBeInstanceOf(Anthropic.BadRequestError);
    expect(String((orphan as Error).message)).toContain('tool_use_id');
  });

  it('surfaces injected status faults as the SDK typed errors, with retry-after', async () => {
    fault({ fault: { type: 'status', status: 529 } });
    const overloaded = await client.messages.create({ model, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(overloaded).toBeInstanceOf(Anthropic.OverloadedError);
    expect((overloaded as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ error: { type: 'overloaded_error' } });

    fault({ fault: { type: 'status', status: 429, retryAfter: 9 } });
    const limited = (await client.messages.create({ model, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e)) as InstanceType<
      typeof Anthropic.RateLimitError
    >;
    expect(limited).toBeInstanceOf(Anthropic.RateLimitError);
    expect(limited.headers?.get('retry-after')).toBe('9');
  });

  it('sends an error event mid-stream that the SDK raises', async () => {
    fault({ fault: { type: 'stream_error', afterEvents: 4, status: 529 } });
    const stream = client.messages.stream({ model, max_tokens: 100, messages: [{ role: 'user', content: 'x [[reply:8]]' }] });
    const err = await stream.finalMessage().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect((err as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ type: 'error', error: { type: 'overloaded_error' } });
  });

  it('refuses a missing or rejected key with an authentication error', async () => {
    const bad = new Anthropic({ apiKey: 'bad-key', baseURL: `${mock.url}/anthropic`, maxRetries: 0 });
    const err = await bad.messages.create({ model, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.AuthenticationError);
  });

  it('lists models', async () => {
    const page = await client.models.list();
    expect(page.data.map((m) => m.id)).toContain(model);
  });
});
