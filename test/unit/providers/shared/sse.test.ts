import { describe, expect, it } from 'vitest';
import { SseParser } from '../../../../src/providers/shared/sse.js';

const STREAM = 'event: message_start\ndata: {"a":1}\n\n: keep-alive comment\n\ndata: line one\ndata: line two\n\ndata: [DONE]\n\n';

describe('SseParser', () => {
  it('parses events, multi-line data and comments', () => {
    const p = new SseParser();
    expect(p.push(STREAM)).toEqual([{ event: 'message_start', data: '{"a":1}' }, { data: 'line one\nline two' }, { data: '[DONE]' }]);
  });

  it('gives the same events however the text is split', () => {
    const whole = new SseParser().push(STREAM);
    for (let size = 1; size <= 7; size++) {
      const p = new SseParser();
      const got = [];
      for (let i = 0; i < STREAM.length; i += size) got.push(...p.push(STREAM.slice(i, i + size)));
      got.push(...p.end());
      expect(got).toEqual(whole);
    }
  });

  it('handles CRLF, including a CR and LF split across reads', () => {
    const crlf = STREAM.replace(/\n/g, '\r\n');
    const p = new SseParser();
    const got = [];
    for (let i = 0; i < crlf.length; i += 3) got.push(...p.push(crlf.slice(i, i + 3)));
    expect(got).toEqual(new SseParser().push(STREAM));
  });

  it('returns a final event that lacks its blank line at end()', () => {
    const p = new SseParser();
    expect(p.push('data: {"x":1}')).toEqual([]);
    expect(p.end()).toEqual([{ data: '{"x":1}' }]);
  });
});
