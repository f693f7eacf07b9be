import { describe, expect, it } from 'vitest';
import type { StreamChunk } from '../../../../src/canonical/index.js';
import { UpstreamError } from '../../../../src/errors.js';
import { GeminiStreamDecoder } from '../../../../src/providers/gemini/stream.js';
import { fixture } from './support.js';

/** Feeds a stream in pieces of `size` characters (0 = whole) and collects every chunk. */
function decode(text: string, size = 0): StreamChunk[] {
  const d = new GeminiStreamDecoder();
  const out: StreamChunk[] = [];
  const step = size || text.length;
  for (let i = 0; i < text.length; i += step) out.push(...d.push(text.slice(i, i + step)));
  out.push(...d.end());
  return out;
}

function failure(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('Gemini stream decoding', () => {
  it('emits role first, then text deltas, the finish reason, and the last usage at the end', () => {
    const chunks = decode(fixture('stream-text.sse'));
    expect(chunks.map((c) => c.choices)).toEqual([
      [{ index: 0, role: 'assistant', text: 'Once upon' }],
      [{ index: 0, text: ' a time, a café' }],
      [{ index: 0, text: ' opened.', finishReason: 'stop' }],
      [],
    ]);
    expect(chunks[0]).toMatchObject({ id: 'c3RyZWFtLXRleHQ', model: 'gemini-2.5-flash' });
    expect(chunks[3]!.usage).toEqual({ promptTokens: 8, completionTokens: 32, cachedPromptTokens: 0, cacheWriteTokens: 0, reasoningTokens: 23 });
  });

  it.each([1, 2, 3, 7, 64, 333])('decodes the same events whatever the read boundaries (%i chars, CRLF split)', (size) => {
    expect(decode(fixture('stream-text.sse'), size)).toEqual(decode(fixture('stream-text.sse')));
    expect(decode(fixture('stream-function-call.sse'), size)).toEqual(decode(fixture('stream-function-call.sse')));
  });

  it('accepts LF-only separators too', () => {
    const lf = fixture('stream-text.sse').replace(/\r\n/g, '\n');
    expect(decode(lf, 5)).toEqual(decode(fixture('stream-text.sse')));
  });

  it('emits each function call whole, as a tool-call delta with id, name and arguments', () => {
    const [first] = decode(fixture('stream-function-call.sse'));
    expect(first!.choices).toEqual([
      {
        index: 0,
        role: 'assistant',
        toolCalls: [
          { index: 0, id: 'call_c3RyZWFtLWZj_0', name: 'get_weather', arguments: '{"city":"Paris"}' },
          { index: 1, id: 'call_c3RyZWFtLWZj_1', name: 'get_time', arguments: '{"timezone":"Europe/Paris"}' },
        ],
        finishReason: 'tool_calls',
      },
    ]);
  });

  it('tells the client a blocked prompt was refused and ends cleanly', () => {
    const chunks = decode(fixture('stream-blocked.sse'));
    expect(chunks[0]!.choices).toEqual([{ index: 0, role: 'assistant', refusal: 'Gemini blocked the prompt (SAFETY).', finishReason: 'content_filter' }]);
    expect(chunks[1]!.usage).toMatchObject({ promptTokens: 11 });
  });

  it('treats a stream that ends before a finishReason as cut', () => {
    const events = fixture('stream-text.sse').split('\r\n\r\n');
    const cut = `${events[0]}\r\n\r\n${events[1]}\r\n\r\n`;
    const d = new GeminiStreamDecoder();
    expect(d.push(cut)).toHaveLength(2);
    expect(failure(() => d.end())).toMatchObject({ kind: 'upstream', code: 'upstream_stream_cut' });
    expect(failure(() => new GeminiStreamDecoder().end())).toMatchObject({ code: 'upstream_stream_cut' });
  });

  it('waits for every candidate to finish', () => {
    const ev = (index: number, finish?: string) => `data: ${JSON.stringify({ candidates: [{ index, content: { parts: [{ text: 'x' }] }, ...(finish ? { finishReason: finish } : {}) }] })}\r\n\r\n`;
    expect(failure(() => decode(ev(0, 'STOP') + ev(1)))).toMatchObject({ code: 'upstream_stream_cut' });
    expect(decode(ev(0, 'STOP') + ev(1, 'MAX_TOKENS')).map((c) => c.choices[0]?.finishReason)).toEqual(['stop', 'length']);
  });

  it('maps an error event inside the stream to the upstream error it describes', () => {
    const d = new GeminiStreamDecoder();
    const err = failure(() => d.push(fixture('stream-error.sse')));
    expect(err).toBeInstanceOf(UpstreamError);
    expect(err).toMatchObject({ kind: 'unavailable', code: 'upstream_unavailable', upstreamStatus: 503 });
    expect((err as Error).message).toBe('Gemini: The model is overloaded. Please try again later. (UNAVAILABLE)');
  });

  it('reports an event that is not JSON as malformed', () => {
    expect(failure(() => new GeminiStreamDecoder().push('data: {"candidates": [\r\n\r\n'))).toMatchObject({ code: 'upstream_malformed_response' });
  });

  it('skips thought parts and events with nothing new to say', () => {
    const ev = (o: unknown) => `data: ${JSON.stringify(o)}\r\n\r\n`;
    const chunks = decode(
      ev({ candidates: [{ content: { parts: [{ text: 'pondering', thought: true }] } }] }) +
        ev({ candidates: [{ content: { parts: [{ text: 'pondering more', thought: true }] } }] }) +
        ev({ candidates: [{ content: { parts: [{ text: 'Answer' }] }, finishReason: 'STOP' }] }),
    );
    expect(chunks.map((c) => c.choices)).toEqual([[{ index: 0, role: 'assistant' }], [{ index: 0, text: 'Answer', finishReason: 'stop' }]]);
  });
});
