import type { FinishReason, StreamChunk, ToolCall, Usage } from '../../canonical/index.js';
import type { GatewayError } from '../../errors.js';
import type { GatewayReport, StreamEncoder, StreamIdentity } from '../../pipeline/dialect.js';
import { googleErrorBody } from './errors.js';
import { finishOf, functionCallPart, renderUsageMetadata, responseEnvelope } from './render.js';

/**
 * How streamed GenerateContentResponses are framed: as SSE events (`?alt=sse`, what Google's SDKs
 * ask for), or as the elements of one JSON array written piece by piece (Gemini's default).
 */
export interface Framing {
  /** The content type of a stream so framed, when it is not SSE's. */
  contentType?: string;
  first(json: string): string;
  next(json: string): string;
  /** After the last element; `any` says whether one was written. */
  close(any: boolean): string;
}

export const SSE_FRAMING: Framing = {
  first: (json) => `data: ${json}\r\n\r\n`,
  next: (json) => `data: ${json}\r\n\r\n`,
  close: () => '',
};

export const ARRAY_FRAMING: Framing = {
  contentType: 'application/json; charset=utf-8',
  first: (json) => `[${json}`,
  next: (json) => `,\r\n${json}`,
  close: (any) => (any ? ']' : '[]'),
};

interface ChoiceState {
  calls: Map<number, ToolCall>;
  finish?: FinishReason;
}

/**
 * One streamed answer in Gemini's form: text deltas as they come; a function call whole (Gemini
 * never splits one) once its candidate finishes; the finish reasons, usageMetadata and the
 * gateway's report in the last response, once the request is settled.
 */
export class GeminiStreamEncoder implements StreamEncoder {
  private sent = false;
  private readonly choices = new Map<number, ChoiceState>();

  constructor(
    private readonly ident: StreamIdentity,
    private readonly framing: Framing,
  ) {}

  chunk(chunk: StreamChunk): string {
    const candidates: Record<string, unknown>[] = [];
    for (const d of chunk.choices) {
      const c = this.choice(d.index);
      const parts: Record<string, unknown>[] = [];
      const text = (d.text ?? '') + (d.refusal ?? '');
      if (text) parts.push({ text });
      for (const t of d.toolCalls ?? []) {
        const call = c.calls.get(t.index) ?? { id: '', name: '', arguments: '' };
        c.calls.set(t.index, call);
        if (t.id) call.id = t.id;
        if (t.name) call.name = t.name;
        if (t.arguments) call.arguments += t.arguments;
      }
      if (d.finishReason) {
        c.finish = d.finishReason;
        parts.push(...this.takeCalls(c));
      }
      if (parts.length) candidates.push({ content: { role: 'model', parts }, index: d.index });
    }
    return candidates.length ? this.emit({ candidates }) : '';
  }

  end(usage: Usage | undefined, report: GatewayReport): string {
    const candidates = [...this.choices.entries()].map(([index, c]) => ({
      content: { role: 'model', parts: [...this.takeCalls(c), { text: '' }] },
      finishReason: finishOf(c.finish ?? 'stop'),
      index,
    }));
    const last: Record<string, unknown> = { candidates };
    if (usage) last.usageMetadata = renderUsageMetadata(usage);
    last.x_tollgate = report;
    return this.emit(last) + this.framing.close(true);
  }

  error(err: GatewayError): string {
    const body = JSON.stringify(googleErrorBody(err));
    const out = this.sent ? this.framing.next(body) : this.framing.first(body);
    this.sent = true;
    return out + this.framing.close(true);
  }

  private choice(index: number): ChoiceState {
    let c = this.choices.get(index);
    if (!c) {
      c = { calls: new Map() };
      this.choices.set(index, c);
    }
    return c;
  }

  private takeCalls(c: ChoiceState): Record<string, unknown>[] {
    const parts = [...c.calls.entries()].sort(([a], [b]) => a - b).map(([, t]) => functionCallPart(t));
    c.calls.clear();
    return parts;
  }

  private emit(fields: Record<string, unknown>): string {
    const json = JSON.stringify(responseEnvelope(this.ident, fields));
    const out = this.sent ? this.framing.next(json) : this.framing.first(json);
    this.sent = true;
    return out;
  }
}
