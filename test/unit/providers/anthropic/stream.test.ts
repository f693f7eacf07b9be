import { describe, expect, it } from 'vitest';
import type { StreamChunk } from '../../../../src/canonical/index.js';
import { UpstreamError } from '../../../../src/errors.js';
import { AnthropicStreamDecoder } from '../../../../src/providers/anthropic/stream.js';
import { decodeInPieces, fixture } from './support.js';

const texts = (chunks: StreamChunk[]) => chunks.flatMap((c) => c.choices.map((d) => d.text ?? '')).join('');
const last = (chunks: StreamChunk[]) => chunks.at(-1)!;
/** A chunk without the provider event it carries (checked on its own). */
const canonical = ({ raw: _raw, ...chunk }: StreamChunk) => chunk;
const thinking = (chunks: StreamChunk[]) => chunks.flatMap((c) => c.choices.flatMap((d) => (d.thinking ? [d.thinking] : [])));

function failure(fn: () => unknown): UpstreamError {
  try {
    fn();
  } catch (e) {
    if (e instanceof UpstreamError) return e;
    throw e;
  }
  throw new Error('expected an UpstreamError');
}

describe('Anthropic stream → canonical chunks', () => {
  it.each([1, 2, 7, 13, 64, 100_000])('decodes the same text whatever the split (pieces of %i characters)', (size) => {
    const chunks = decodeInPieces(new AnthropicStreamDecoder(), fixture('stream-text.sse'), size);
    expect(canonical(chunks[0]!)).toEqual({
      id: 'msg_01StrmTxt4aB6cD8eF0gH',
      model: 'claude-sonnet-4-5-20250929',
      choices: [{ index: 0, role: 'assistant' }],
      // message_start's input figures, so a stream cut later is billed with them.
      promptUsage: { promptTokens: 1049, cachedPromptTokens: 1024, cacheWriteTokens: 0 },
    });
    expect(chunks.filter((c) => c.choices[0]?.text).map((c) => c.choices[0]!.text)).toEqual(['Hello', ', wörld', ' — 🌍!']);
    expect(canonical(last(chunks))).toEqual({
      choices: [{ index: 0, finishReason: 'stop' }],
      usage: { promptTokens: 25 + 1024, completionTokens: 15, cachedPromptTokens: 1024, cacheWriteTokens: 0, reasoningTokens: 0 },
    });
  });

  it('accepts CRLF line ends', () => {
    const chunks = decodeInPieces(new AnthropicStreamDecoder(), fixture('stream-text.sse').replace(/\n/g, '\r\n'), 5);
    expect(texts(chunks)).toBe('Hello, wörld — 🌍!');
  });

  it('starts each tool call with id and name at its own index, then streams its arguments', () => {
    const chunks = decodeInPieces(new AnthropicStreamDecoder(), fixture('stream-tool-use.sse'), 11);
    expect(texts(chunks)).toBe('Okay, let me check the weather.');
    const calls = chunks.flatMap((c) => c.choices.flatMap((d) => d.toolCalls ?? []));
    expect(calls[0]).toEqual({ index: 0, id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6', name: 'get_weather' });
    const args = (i: number) => calls.filter((t) => t.index === i).map((t) => t.arguments ?? '').join('');
    expect(JSON.parse(args(0))).toEqual({ location: 'San Francisco, CA', unit: 'fahrenheit' });
    expect(calls.filter((t) => t.index === 0 && t.arguments).length).toBe(3);
    expect(calls.find((t) => t.index === 1)).toEqual({ index: 1, id: 'toolu_01U2y2gK45rBnl3uOUsO8Vq7', name: 'get_time' });
    expect(JSON.parse(args(1))).toEqual({ timezone: 'America/Los_Angeles' });
    expect(last(chunks).choices[0]!.finishReason).toBe('tool_calls');
    expect(last(chunks).usage).toMatchObject({ promptTokens: 472, completionTokens: 89 });
  });

  it('carries every event as received, so an Anthropic client can be sent the stream unchanged', () => {
    const sse = fixture('stream-thinking.sse');
    const chunks = decodeInPieces(new AnthropicStreamDecoder(), sse, 17);
    expect(chunks.every((c) => c.raw?.format === 'anthropic')).toBe(true);
    expect(chunks.map((c) => c.raw!.text).join('')).toBe(sse.trimEnd() + '\n\n');
  });

  it('keeps thinking apart from the text, with its signature, and takes cumulative usage from message_delta', () => {
    const chunks = decodeInPieces(new AnthropicStreamDecoder(), fixture('stream-thinking.sse'), 9);
    expect(texts(chunks)).toBe('27 × 453 = 12,231.');
    const parts = thinking(chunks);
    expect(parts.every((t) => t.block === 0)).toBe(true);
    expect(parts.map((t) => t.text ?? '').join('')).toMatch(/\S/);
    expect(parts.filter((t) => t.signature).length).toBe(1);
    expect(last(chunks).usage).toEqual({ promptTokens: 36, completionTokens: 96, cachedPromptTokens: 0, cacheWriteTokens: 0, reasoningTokens: 80 });
  });

  it('streams the JSON-mode tool input as text and finishes with stop', () => {
    const sse = fixture('stream-tool-use.sse').replaceAll('get_weather', 'tollgate_json_response').replace(/event: content_block_start\ndata: .*get_time[\s\S]*?(?=event: message_delta)/, '');
    const chunks = decodeInPieces(new AnthropicStreamDecoder(true), sse, 3);
    expect(chunks.some((c) => c.choices[0]?.toolCalls)).toBe(false);
    expect(JSON.parse(texts(chunks))).toEqual({ location: 'San Francisco, CA', unit: 'fahrenheit' });
    expect(last(chunks).choices[0]!.finishReason).toBe('stop');
  });

  it('relays what came before an error event, then throws the mapped upstream error', () => {
    const decoder = new AnthropicStreamDecoder();
    const [head, tail] = fixture('stream-error.sse').split('event: error');
    const before = decoder.push(head!);
    expect(texts(before)).toBe('Partial answer');
    const err = failure(() => decoder.push(`event: error${tail}`));
    expect(err).toMatchObject({ kind: 'unavailable', code: 'upstream_overloaded', retryable: true, upstreamStatus: 529 });
    expect(err.message).toBe('Anthropic: Overloaded');
  });

  it('delivers the text that arrived in the same read as an error event before throwing it', () => {
    const decoder = new AnthropicStreamDecoder();
    expect(texts(decoder.push(fixture('stream-error.sse')))).toBe('Partial answer');
    expect(failure(() => decoder.end())).toMatchObject({ kind: 'unavailable', code: 'upstream_overloaded' });
    expect(failure(() => decoder.push(''))).toMatchObject({ code: 'upstream_overloaded' });
  });

  it('throws a stream cut when the body ends before message_stop', () => {
    const cut = fixture('stream-text.sse').split('event: message_delta')[0]!;
    const decoder = new AnthropicStreamDecoder();
    expect(texts(decoder.push(cut))).toBe('Hello, wörld — 🌍!');
    expect(failure(() => decoder.end())).toMatchObject({ kind: 'upstream', code: 'upstream_stream_cut', retryable: true });
  });

  it('treats an event that is not JSON as a malformed response', () => {
    const decoder = new AnthropicStreamDecoder();
    decoder.push(fixture('stream-text.sse').split('event: ping')[0]!);
    expect(failure(() => decoder.push('event: content_block_delta\ndata: {"type": nope\n\n'))).toMatchObject({ kind: 'upstream', code: 'upstream_malformed_response' });
  });

  it('ignores events it does not know and anything after message_stop', () => {
    const sse = fixture('stream-text.sse').replace('event: ping', 'event: brand_new_event\ndata: {"type":"brand_new_event"}\n\nevent: ping');
    const chunks = decodeInPieces(new AnthropicStreamDecoder(), `${sse}event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"late"}}\n\n`, 50);
    expect(texts(chunks)).toBe('Hello, wörld — 🌍!');
  });
});
