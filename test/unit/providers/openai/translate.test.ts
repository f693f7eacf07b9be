import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ChatRequest } from '../../../../src/canonical/index.js';
import { parseChatCompletionRequest } from '../../../../src/http/openai/parse-chat.js';
import { OPENAI_DIALECT } from '../../../../src/providers/openai/index.js';
import { buildOpenAIChatBody } from '../../../../src/providers/openai/request.js';
import { parseOpenAIChatResponse } from '../../../../src/providers/openai/response.js';
import { OpenAIStreamDecoder } from '../../../../src/providers/openai/stream.js';
import { MISTRAL_DIALECT } from '../../../../src/providers/mistral/index.js';
import type { UpstreamTarget } from '../../../../src/providers/types.js';

const fixture = (name: string) => readFileSync(new URL(`../../../fixtures/openai/${name}`, import.meta.url), 'utf8');

const target = { model: { upstreamModel: 'gpt-4o-2024-08-06' } } as unknown as UpstreamTarget;

const body = {
  model: 'gpt-4o',
  messages: [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content: [{ type: 'text', text: 'Look:' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'low' } }] },
    { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }] },
    { role: 'tool', tool_call_id: 'call_1', content: 'done' },
  ],
  temperature: 0.3,
  max_tokens: 100,
  stream: true,
  store: true,
  tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
};

describe('OpenAI translators', () => {
  it('parses an OpenAI body into the canonical form', () => {
    const req = parseChatCompletionRequest(structuredClone(body));
    expect(req.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'tool']);
    expect(req.params).toEqual({ temperature: 0.3, maxTokens: 100 });
    expect(req.maxTokensField).toBe('max_tokens');
    expect(req.extra).toEqual({ store: true });
    expect(req.messages[1]).toEqual({ role: 'user', content: [{ type: 'text', text: 'Look:' }, { type: 'image', url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'low' }] });
  });

  it('passes an OpenAI body through with only model, token limit and stream usage patched', () => {
    const req = parseChatCompletionRequest(structuredClone(body));
    req.params.maxTokens = 40; // clamped by credits
    const out = buildOpenAIChatBody(req, target, OPENAI_DIALECT);
    expect(out).toEqual({ ...body, model: 'gpt-4o-2024-08-06', max_tokens: 40, stream_options: { include_usage: true } });
  });

  it('rebuilds from the canonical form for Mistral and yields an equivalent body', () => {
    const req: ChatRequest = parseChatCompletionRequest({ ...structuredClone(body), store: undefined });
    const out = buildOpenAIChatBody(req, { model: { upstreamModel: 'mistral-large' } } as unknown as UpstreamTarget, MISTRAL_DIALECT);
    expect(out).toMatchObject({ model: 'mistral-large', temperature: 0.3, max_tokens: 100, stream: true });
    expect(out.stream_options).toBeUndefined();
    const msgs = out.messages as Record<string, unknown>[];
    expect(msgs[2]).toEqual({ role: 'assistant', content: null, tool_calls: [{ id: expect.stringMatching(/^[0-9a-f]{9}$/), type: 'function', function: { name: 'f', arguments: '{"a":1}' } }] });
  });

  it('parses a real response and keeps its text for relay', () => {
    const text = fixture('chat-completion.json');
    const resp = parseOpenAIChatResponse(text, OPENAI_DIALECT);
    expect(resp.choices[0]).toMatchObject({ text: 'Hello! How can I assist you today?', finishReason: 'stop' });
    expect(resp.usage).toEqual({ promptTokens: 19, completionTokens: 10, cachedPromptTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 });
    expect(resp.raw).toEqual({ format: 'openai', text });
  });

  it('decodes a streamed tool call, split at every possible point', () => {
    const sse = fixture('tool-call-stream.sse');
    for (const size of [1, 5, 17, 64, sse.length]) {
      const d = new OpenAIStreamDecoder(OPENAI_DIALECT);
      const chunks = [];
      for (let i = 0; i < sse.length; i += size) chunks.push(...d.push(sse.slice(i, i + size)));
      chunks.push(...d.end());
      const args = chunks.flatMap((c) => c.choices.flatMap((x) => x.toolCalls ?? [])).map((t) => t.arguments ?? '').join('');
      expect(args).toBe('{"location":"Paris"}');
      expect(chunks[0]!.choices[0]!.toolCalls![0]).toMatchObject({ index: 0, id: 'call_DdmO9pD3xa9XTPNJ32zg2hcA', name: 'get_weather' });
      expect(chunks.at(-1)!.usage).toEqual({ promptTokens: 81, completionTokens: 16, cachedPromptTokens: 64, cacheWriteTokens: 0, reasoningTokens: 0 });
    }
  });

  it('treats a stream without [DONE] as cut', () => {
    const sse = fixture('tool-call-stream.sse').replace('data: [DONE]\n\n', '');
    const d = new OpenAIStreamDecoder(OPENAI_DIALECT);
    d.push(sse);
    expect(() => d.end()).toThrow(/ended the stream before the response was complete/);
  });
});

describe('OpenAI stream errors', () => {
  it('delivers the chunks before an error event in the same read, then throws', () => {
    const good = fixture('tool-call-stream.sse').split('\n\n').slice(0, 2).join('\n\n') + '\n\n';
    const d = new OpenAIStreamDecoder(OPENAI_DIALECT);
    const chunks = d.push(`${good}data: {"error":{"message":"overloaded","code":"server_error"}}\n\n`);
    expect(chunks).toHaveLength(2);
    expect(() => d.push('')).toThrow(/OpenAI: overloaded/);
  });
});
