import type { ChoiceDelta, StreamChunk, StreamDecoder, ToolCallDelta } from '../../canonical/index.js';
import { malformedResponse, streamCut, tryParseJson, upstreamError } from '../shared/errors.js';
import { SseParser } from '../shared/sse.js';
import type { OpenAIDialect } from './dialect.js';
import { finishReasonFromOpenAI } from './response.js';
import { usageFromOpenAI } from './usage.js';

interface WireDelta {
  role?: string;
  content?: string | null;
  refusal?: string | null;
  tool_calls?: { index?: number; id?: string; function?: { name?: string; arguments?: string } }[];
}
interface WireChunk {
  id?: string;
  model?: string;
  created?: number;
  choices?: { index?: number; delta?: WireDelta; finish_reason?: string | null; logprobs?: unknown }[];
  usage?: unknown;
  error?: { message?: string; type?: string; code?: string };
}

/**
 * Decodes an OpenAI-format SSE stream (`data: {chunk}` … `data: [DONE]`). Each chunk keeps its
 * JSON text so an OpenAI client can be sent exactly what the provider sent.
 */
export class OpenAIStreamDecoder implements StreamDecoder {
  private readonly sse = new SseParser();
  private done = false;
  /** An error met after other chunks of the same read: thrown once those chunks are delivered. */
  private pending: Error | undefined;

  constructor(private readonly dialect: OpenAIDialect) {}

  push(text: string): StreamChunk[] {
    return this.decode(this.sse.push(text));
  }

  end(): StreamChunk[] {
    const tail = this.decode(this.sse.end());
    if (this.pending) throw this.pending;
    if (!this.done) throw streamCut(this.dialect.name);
    return tail;
  }

  /**
   * Chunks decoded before an error in the same read are returned first (they reach the client
   * and are billed); the error is thrown by the next call.
   */
  private decode(events: { data: string }[]): StreamChunk[] {
    if (this.pending) throw this.pending;
    const out: StreamChunk[] = [];
    try {
      this.decodeInto(events, out);
    } catch (err) {
      if (out.length === 0) throw err;
      this.pending = err as Error;
    }
    return out;
  }

  private decodeInto(events: { data: string }[], out: StreamChunk[]): void {
    for (const ev of events) {
      if (ev.data === '[DONE]') {
        this.done = true;
        continue;
      }
      const wire = tryParseJson(ev.data) as WireChunk | undefined;
      if (!wire || typeof wire !== 'object') throw malformedResponse(this.dialect.name, 'a stream event was not JSON');
      if (wire.error) {
        throw upstreamError(this.dialect.name, 500, {}, { message: wire.error.message ?? 'stream error', code: wire.error.code });
      }
      out.push(this.toChunk(wire, ev.data));
    }
  }

  private toChunk(wire: WireChunk, raw: string): StreamChunk {
    const choices: ChoiceDelta[] = [];
    if (Array.isArray(wire.choices)) {
      for (const c of wire.choices) {
        const d = c.delta ?? {};
        const delta: ChoiceDelta = { index: c.index ?? 0 };
        if (d.role === 'assistant') delta.role = 'assistant';
        if (typeof d.content === 'string' && d.content.length > 0) delta.text = d.content;
        if (typeof d.refusal === 'string' && d.refusal.length > 0) delta.refusal = d.refusal;
        if (Array.isArray(d.tool_calls)) {
          delta.toolCalls = d.tool_calls.map((t, i) => {
            const tc: ToolCallDelta = { index: t.index ?? i };
            if (t.id) tc.id = t.id;
            if (t.function?.name) tc.name = t.function.name;
            if (t.function?.arguments) tc.arguments = t.function.arguments;
            return tc;
          });
        }
        if (c.finish_reason) delta.finishReason = finishReasonFromOpenAI(c.finish_reason, this.dialect);
        if (c.logprobs) delta.logprobs = c.logprobs;
        choices.push(delta);
      }
    }
    const chunk: StreamChunk = { choices };
    if (wire.id) chunk.id = wire.id;
    if (wire.model) chunk.model = wire.model;
    if (wire.created) chunk.created = wire.created;
    const usage = usageFromOpenAI(wire.usage);
    if (usage) chunk.usage = usage;
    if (this.dialect.passthrough) chunk.raw = { format: 'openai', text: raw };
    return chunk;
  }
}
