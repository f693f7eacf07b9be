/** One server-sent event: `event` is absent for data-only streams (OpenAI, Gemini). */
export interface SseEvent {
  event?: string;
  data: string;
}

/**
 * Incremental SSE parser (WHATWG event-stream rules): accepts text in any split, LF / CRLF / CR
 * line ends, multi-line data, comments. It returns complete events only.
 */
export class SseParser {
  private buf = '';

  push(text: string): SseEvent[] {
    let buf = this.buf + text;
    if (buf.includes('\r')) {
      // A lone trailing CR may be half of a CRLF split across reads: keep it for the next push.
      const keepCr = buf.endsWith('\r');
      buf = (keepCr ? buf.slice(0, -1) : buf).replace(/\r\n?/g, '\n') + (keepCr ? '\r' : '');
    }
    const events: SseEvent[] = [];
    let start = 0;
    for (;;) {
      const end = buf.indexOf('\n\n', start);
      if (end < 0) break;
      const ev = parseBlock(buf, start, end);
      if (ev) events.push(ev);
      start = end + 2;
    }
    this.buf = start === 0 ? buf : buf.slice(start);
    return events;
  }

  /** Whatever remains when the body ends (a final event without its blank line). */
  end(): SseEvent[] {
    const rest = this.buf.replace(/\r$/, '');
    this.buf = '';
    if (rest.trim() === '') return [];
    const ev = parseBlock(rest, 0, rest.length);
    return ev ? [ev] : [];
  }
}

function parseBlock(buf: string, start: number, end: number): SseEvent | undefined {
  let event: string | undefined;
  let data: string | undefined;
  let pos = start;
  while (pos < end) {
    let nl = buf.indexOf('\n', pos);
    if (nl < 0 || nl > end) nl = end;
    if (buf.charCodeAt(pos) !== 58 /* ':' comment */) {
      const colon = buf.indexOf(':', pos);
      const hasColon = colon >= 0 && colon < nl;
      const field = hasColon ? buf.slice(pos, colon) : buf.slice(pos, nl);
      let value = hasColon ? buf.slice(colon + 1, nl) : '';
      if (value.charCodeAt(0) === 32) value = value.slice(1);
      if (field === 'data') data = data === undefined ? value : `${data}\n${value}`;
      else if (field === 'event') event = value;
    }
    pos = nl + 1;
  }
  if (data === undefined) return undefined;
  return event === undefined ? { data } : { event, data };
}
