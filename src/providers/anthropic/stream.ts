import type { ChoiceDelta, StreamChunk, StreamDecoder } from '../../canonical/index.js';
import { malformedResponse, streamCut, tryParseJson } from '../shared/errors.js';
import { SseParser, type SseEvent } from '../shared/sse.js';
import { streamErrorEvent } from './errors.js';
import { JSON_TOOL_NAME } from './tools.js';
import { finishFromAnthropic, mergeUsage, PROVIDER_NAME, usageFromAnthropic, type WireBlock, type WireMessage, type WireUsage } from './wire.js';

interface WireEvent {
  type?: string;
  message?: WireMessage;
  index?: number;
  content_block?: WireBlock;
  delta?: { type?: string; text?: string; partial_json?: string; thinking?: string; signature?: string; stop_reason?: string | null; stop_sequence?: string | null };
  usage?: WireUsage;
  error?: { type?: string; message?: string };
}

/** What one Anthropic content block becomes for the client. */
type BlockRole = { kind: 'text' } | { kind: 'tool'; index: number } | { kind: 'json' } | { kind: 'thinking'; block: number } | { kind: 'hidden' };

/**
 * Decodes a Messages API stream (message_start, content_block_start/delta/stop, message_delta,
 * message_stop, with ping and error events) into canonical chunks: the role first, then text
 * and tool-call fragments, and a final chunk with the finish reason and usage (input figures from
 * message_start, output from message_delta). Thinking blocks become thinking fragments (with their
 * signatures); unknown blocks are skipped. Every event also travels as received (`raw`), on a chunk
 * of its own when it has no canonical content, so an Anthropic client is sent the stream unchanged.
 */
export class AnthropicStreamDecoder implements StreamDecoder {
  private readonly sse = new SseParser();
  private readonly blocks = new Map<number, BlockRole>();
  private usage: WireUsage = {};
  private stopReason: string | null = null;
  private stopSequence: string | undefined;
  private toolCount = 0;
  private thinkingCount = 0;
  private done = false;
  /** An error met after other events of the same read: thrown once those events are delivered. */
  private pending: Error | undefined;

  /** `jsonMode`: the request asked for JSON, so only the JSON-mode tool's input is answer text. */
  constructor(private readonly jsonMode = false) {}

  push(text: string): StreamChunk[] {
    return this.decode(this.sse.push(text));
  }

  end(): StreamChunk[] {
    const tail = this.decode(this.sse.end());
    if (this.pending) throw this.pending;
    if (!this.done) throw streamCut(PROVIDER_NAME);
    return tail;
  }

  /**
   * Decodes complete events. When an event fails after others in the same read decoded fine,
   * those are returned first and the error is thrown by the next call, so text that reached the
   * gateway before an error is still relayed (and billed).
   */
  private decode(events: SseEvent[]): StreamChunk[] {
    if (this.pending) throw this.pending;
    const out: StreamChunk[] = [];
    try {
      for (const ev of events) {
        if (this.done) break;
        const wire = tryParseJson(ev.data) as WireEvent | undefined;
        if (!wire || typeof wire !== 'object') throw malformedResponse(PROVIDER_NAME, `a stream event${ev.event ? ` (${ev.event})` : ''} was not JSON`);
        const type = wire.type ?? ev.event ?? '';
        const chunk = this.onEvent(type, wire) ?? { choices: [] };
        chunk.raw = { format: 'anthropic', text: `event: ${ev.event ?? type}\ndata: ${ev.data}\n\n` };
        out.push(chunk);
      }
    } catch (err) {
      if (out.length === 0) throw err;
      this.pending = err as Error;
    }
    return out;
  }

  private onEvent(type: string, ev: WireEvent): StreamChunk | undefined {
    switch (type) {
      case 'message_start': {
        const m = ev.message ?? {};
        this.usage = mergeUsage(this.usage, m.usage);
        const chunk: StreamChunk = { choices: [{ index: 0, role: 'assistant' }] };
        if (m.usage?.input_tokens !== undefined) {
          const { promptTokens, cachedPromptTokens, cacheWriteTokens } = usageFromAnthropic(this.usage);
          chunk.promptUsage = { promptTokens, cachedPromptTokens, cacheWriteTokens };
        }
        if (m.id) chunk.id = m.id;
        if (m.model) chunk.model = m.model;
        return chunk;
      }
      case 'content_block_start':
        return this.startBlock(ev.index ?? 0, ev.content_block ?? {});
      case 'content_block_delta':
        return this.blockDelta(ev.index ?? 0, ev.delta ?? {});
      case 'message_delta':
        if (ev.delta?.stop_reason) this.stopReason = ev.delta.stop_reason;
        if (ev.delta?.stop_sequence) this.stopSequence = ev.delta.stop_sequence;
        this.usage = mergeUsage(this.usage, ev.usage);
        return undefined;
      case 'message_stop':
        this.done = true;
        return { choices: [{ index: 0, finishReason: this.finish(), ...(this.stopSequence ? { stopSequence: this.stopSequence } : {}) }], usage: usageFromAnthropic(this.usage) };
      case 'error':
        throw streamErrorEvent(ev.error);
      default:
        // ping, content_block_stop, and event types added after this was written.
        return undefined;
    }
  }

  private startBlock(at: number, block: WireBlock): StreamChunk | undefined {
    if (block.type === 'text' && !this.jsonMode) {
      this.blocks.set(at, { kind: 'text' });
      return block.text ? delta({ index: 0, text: block.text }) : undefined;
    }
    if (block.type === 'tool_use' && block.name === JSON_TOOL_NAME) {
      this.blocks.set(at, { kind: 'json' });
      return undefined;
    }
    if (block.type === 'tool_use') {
      const index = this.toolCount++;
      this.blocks.set(at, { kind: 'tool', index });
      return delta({ index: 0, toolCalls: [{ index, id: block.id ?? '', name: block.name ?? '' }] });
    }
    if (block.type === 'thinking' || block.type === 'redacted_thinking') {
      const n = this.thinkingCount++;
      this.blocks.set(at, { kind: 'thinking', block: n });
      if (block.type === 'redacted_thinking') return delta({ index: 0, thinking: { block: n, redacted: block.data ?? '' } });
      return block.thinking || block.signature ? delta({ index: 0, thinking: { block: n, text: block.thinking || undefined, signature: block.signature || undefined } }) : undefined;
    }
    this.blocks.set(at, { kind: 'hidden' });
    return undefined;
  }

  private blockDelta(at: number, d: NonNullable<WireEvent['delta']>): StreamChunk | undefined {
    const role = this.blocks.get(at);
    if (!role || role.kind === 'hidden') return undefined;
    if (d.type === 'text_delta' && role.kind === 'text' && d.text) return delta({ index: 0, text: d.text });
    if (role.kind === 'thinking') {
      if (d.type === 'thinking_delta' && d.thinking) return delta({ index: 0, thinking: { block: role.block, text: d.thinking } });
      if (d.type === 'signature_delta' && d.signature) return delta({ index: 0, thinking: { block: role.block, signature: d.signature } });
      return undefined;
    }
    if (d.type !== 'input_json_delta' || !d.partial_json) return undefined;
    if (role.kind === 'json') return delta({ index: 0, text: d.partial_json });
    if (role.kind === 'tool') return delta({ index: 0, toolCalls: [{ index: role.index, arguments: d.partial_json }] });
    return undefined;
  }

  private finish() {
    let json = false;
    for (const b of this.blocks.values()) if (b.kind === 'json') json = true;
    return finishFromAnthropic(this.stopReason, json && this.toolCount === 0);
  }
}

function delta(d: ChoiceDelta): StreamChunk {
  return { choices: [d] };
}
