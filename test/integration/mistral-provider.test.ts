import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import type { MockUpstream } from '../mock-upstream/server.js';
import { CHAT_MODELS, EMBEDDING_MODELS } from '../helpers/catalogue.js';
import { useGatewayHarness } from '../helpers/harness.js';
import { injectFault } from '../helpers/mock-control.js';

let mock: MockUpstream;
let client: OpenAI;
useGatewayHarness({}, (h) => ({ mock, client } = h));

const model = CHAT_MODELS.mistral;
const lastBody = () => mock.requests.at(-1)!.body as Record<string, unknown>;
const tools = [{ type: 'function' as const, function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } } } }];

describe('Mistral provider through the OpenAI ingress', () => {
  it('answers a chat completion; seed becomes random_seed, developer becomes system', async () => {
    const r = await client.chat.completions.create({
      model,
      seed: 7,
      messages: [
        { role: 'developer', content: 'Be brief.' },
        { role: 'user', content: 'Bonjour Mistral' },
      ],
    });
    expect(r.choices[0]!.message.content).toBe('Mock reply to: Bonjour Mistral');
    expect(r.usage).toMatchObject({ prompt_tokens: 4, completion_tokens: 5 });
    const sent = lastBody();
    expect(sent.random_seed).toBe(7);
    expect(sent.seed).toBeUndefined();
    expect((sent.messages as { role: string }[])[0]!.role).toBe('system');
    expect(sent.model).toBe('mistral-small-latest');
  });

  it('streams, with usage from Mistral’s last chunk and no stream_options sent upstream', async () => {
    const stream = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'go [[reply:4]]' }], stream: true, stream_options: { include_usage: true } });
    let text = '';
    let usage;
    for await (const c of stream) {
      text += c.choices[0]?.delta.content ?? '';
      if (c.usage) usage = c.usage;
    }
    expect(text).toBe('w1 w2 w3 w4');
    expect(usage).toMatchObject({ completion_tokens: 4 });
    expect(lastBody().stream_options).toBeUndefined();
  });

  it('maps tool_choice required → any and rewrites foreign tool-call ids to nine alphanumerics', async () => {
    const r = await client.chat.completions.create({ model, tools, tool_choice: 'required', messages: [{ role: 'user', content: 'find it' }] });
    expect(lastBody().tool_choice).toBe('any');
    expect(r.choices[0]!.message.tool_calls![0]!.id).toMatch(/^[A-Za-z0-9]{9}$/);
    const r2 = await client.chat.completions.create({
      model,
      tools,
      messages: [
        { role: 'user', content: 'find it' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_abc123XYZ_long', type: 'function', function: { name: 'lookup', arguments: '{"q":"x"}' } }] },
        { role: 'tool', tool_call_id: 'call_abc123XYZ_long', content: 'found: 42' },
      ],
    });
    expect(r2.choices[0]!.message.content).toBe('Tool result received: found: 42');
    const msgs = lastBody().messages as { tool_calls?: { id: string }[]; tool_call_id?: string }[];
    expect(msgs[1]!.tool_calls![0]!.id).toMatch(/^[A-Za-z0-9]{9}$/);
    expect(msgs[2]!.tool_call_id).toBe(msgs[1]!.tool_calls![0]!.id);
  });

  it('streams a tool call that Mistral sends whole', async () => {
    const final = await client.chat.completions.stream({ model, tools, messages: [{ role: 'user', content: 'find it' }] }).finalChatCompletion();
    const call = final.choices[0]!.message.tool_calls![0]!;
    expect(call.type === 'function' && call.function).toEqual({ name: 'lookup', arguments: '{"q":"mock"}' });
    expect(final.choices[0]!.finish_reason).toBe('tool_calls');
  });

  it('passes JSON mode through', async () => {
    const r = await client.chat.completions.create({ model, response_format: { type: 'json_object' }, messages: [{ role: 'user', content: 'json please' }] });
    expect(JSON.parse(r.choices[0]!.message.content!)).toEqual({ reply: 'mock', words: 2 });
  });

  it('sends images as OpenAI-style image_url parts', async () => {
    await client.chat.completions.create({
      model,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'what is this' }, { type: 'image_url', image_url: { url: 'https://example.test/cat.png' } }] }],
    });
    const content = (lastBody().messages as { content: unknown[] }[])[0]!.content;
    expect(content[1]).toEqual({ type: 'image_url', image_url: { url: 'https://example.test/cat.png' } });
  });

  it('rejects what Mistral cannot honour with a 400 naming the parameter', async () => {
    for (const [extra, param] of [
      [{ logit_bias: { '50256': -100 } }, 'logit_bias'],
      [{ logprobs: true }, 'logprobs'],
      [{ store: true }, 'store'],
    ] as const) {
      const err = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'x' }], ...extra } as never).catch((e) => e);
      expect(err).toBeInstanceOf(OpenAI.BadRequestError);
      expect(err.error).toMatchObject({ param, code: 'unsupported_parameter' });
    }
  });

  it('embeds through mistral-embed; base64 is converted by the gateway', async () => {
    const floats = await client.embeddings.create({ model: EMBEDDING_MODELS.mistral, input: 'hello there', encoding_format: 'float' });
    expect(floats.data[0]!.embedding).toHaveLength(8);
    const b64 = await client.embeddings.create({ model: EMBEDDING_MODELS.mistral, input: 'hello there' });
    expect(b64.data[0]!.embedding).toHaveLength(8);
    expect(b64.data[0]!.embedding[0]).toBeCloseTo(floats.data[0]!.embedding[0]!, 5);
    expect(lastBody().encoding_format).toBeUndefined();
  });

  it('returns a Mistral 429 whose Retry-After is longer than the gateway waits, with that Retry-After', async () => {
    await injectFault(mock, { provider: 'mistral', fault: { type: 'status', status: 429, retryAfter: 30 } });
    const err = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'x' }] }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err.headers.get('retry-after')).toBe('30');
  });
});
