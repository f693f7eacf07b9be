import type { ChoiceDelta, FinishReason, StreamChunk, ToolCallDelta, Usage } from '../../canonical/index.js';
import type { GatewayError } from '../../errors.js';
import type { GatewayReport, StreamEncoder, StreamIdentity } from '../../pipeline/dialect.js';
import { anthropicErrorBody } from './errors.js';
import { renderUsage, stopReasonOf } from './render.js';

const sse = (type: string, data: Record<string, unknown>) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;

/** The block being written: what it is, and which canonical part (tool call, thinking block) fills it. */
type OpenBlock = { kind: 'text' } | { kind: 'tool'; tool: number } | { kind: 'thinking'; block: number };

/** The type of a relayed Anthropic event ("event: message_delta\ndata: …"). */
function eventType(text: string): string {
  return text.slice(7, text.indexOf('\n'));
}

/**
 * Writes one answer as Anthropic's event stream: message_start and a ping, then per content block
 * content_block_start, its deltas and content_block_stop, and at the end message_delta (stop
 * reason and usage, with the gateway's cost in `x_tollgate`) and message_stop.
 *
 * When Anthropic itself serves, its events are relayed as received; only its message_delta and
 * message_stop are held back until the request is settled, and message_delta then gains the cost.
 * From any other provider the events are built from the canonical chunks.
 */
export class AnthropicStreamEncoder implements StreamEncoder {
  private started = false;
  private open: OpenBlock | undefined;
  private index = -1;
  private finish: FinishReason = 'stop';
  private stopSequence: string | undefined;
  /** The provider's own closing events, held until the stream is settled. */
  private heldDelta: string | undefined;
  private heldStop: string | undefined;

  constructor(private readonly ident: StreamIdentity) {}

  chunk(chunk: StreamChunk): string {
    if (chunk.raw?.format === 'anthropic') return this.relay(chunk.raw.text);
    let out = this.started ? '' : this.start(chunk);
    for (const d of chunk.choices) if (d.index === 0) out += this.delta(d);
    return out;
  }

  end(usage: Usage | undefined, report: GatewayReport): string {
    if (this.heldDelta !== undefined) return withReport(this.heldDelta, report) + (this.heldStop ?? sse('message_stop', {}));
    let out = this.started ? '' : this.start({ choices: [] });
    out += this.close();
    const delta = { stop_reason: stopReasonOf(this.finish, this.stopSequence), stop_sequence: this.finish === 'stop' ? (this.stopSequence ?? null) : null };
    out += sse('message_delta', { delta, usage: usage ? renderUsage(usage) : { output_tokens: 0 }, x_tollgate: report });
    return out + sse('message_stop', {});
  }

  error(err: GatewayError): string {
    return `event: error\ndata: ${anthropicErrorBody(err)}\n\n`;
  }

  private relay(text: string): string {
    const type = eventType(text);
    if (type === 'message_delta') this.heldDelta = text;
    else if (type === 'message_stop') this.heldStop = text;
    else return text;
    return '';
  }

  private start(chunk: StreamChunk): string {
    this.started = true;
    const p = chunk.promptUsage;
    const usage = p ? renderUsage({ ...p, completionTokens: 0, reasoningTokens: 0 }) : renderUsage({ promptTokens: 0, completionTokens: 0, cachedPromptTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 });
    const message = { id: this.ident.id, type: 'message', role: 'assistant', model: this.ident.model, content: [], stop_reason: null, stop_sequence: null, usage };
    return sse('message_start', { message }) + sse('ping', {});
  }

  private delta(d: ChoiceDelta): string {
    let out = '';
    if (d.thinking) out += this.thinking(d.thinking);
    if (d.text) out += this.ensure({ kind: 'text' }, { type: 'text', text: '' }) + this.blockDelta({ type: 'text_delta', text: d.text });
    for (const t of d.toolCalls ?? []) out += this.tool(t);
    if (d.finishReason) {
      this.finish = d.finishReason;
      this.stopSequence = d.stopSequence;
    }
    return out;
  }

  private thinking(t: NonNullable<ChoiceDelta['thinking']>): string {
    if (t.redacted !== undefined) return this.ensure({ kind: 'thinking', block: t.block }, { type: 'redacted_thinking', data: t.redacted });
    let out = this.ensure({ kind: 'thinking', block: t.block }, { type: 'thinking', thinking: '', signature: '' });
    if (t.text) out += this.blockDelta({ type: 'thinking_delta', thinking: t.text });
    if (t.signature) out += this.blockDelta({ type: 'signature_delta', signature: t.signature });
    return out;
  }

  private tool(t: ToolCallDelta): string {
    let out = '';
    if (t.id !== undefined || t.name !== undefined) {
      out += this.close() + this.begin({ kind: 'tool', tool: t.index }, { type: 'tool_use', id: t.id ?? '', name: t.name ?? '', input: {} });
    }
    if (t.arguments) {
      const open = this.open;
      // Arguments for a call whose block is closed cannot be framed; Anthropic streams one block at a time, as do the translators.
      if (open?.kind === 'tool' && open.tool === t.index) out += this.blockDelta({ type: 'input_json_delta', partial_json: t.arguments });
    }
    return out;
  }

  /** Opens `block` unless it is the one being written. */
  private ensure(block: OpenBlock, start: Record<string, unknown>): string {
    const o = this.open;
    if (o && o.kind === block.kind && (o.kind !== 'thinking' || (block.kind === 'thinking' && o.block === block.block))) return '';
    return this.close() + this.begin(block, start);
  }

  private begin(block: OpenBlock, start: Record<string, unknown>): string {
    this.open = block;
    this.index++;
    return sse('content_block_start', { index: this.index, content_block: start });
  }

  private blockDelta(delta: Record<string, unknown>): string {
    return sse('content_block_delta', { index: this.index, delta });
  }

  private close(): string {
    if (!this.open) return '';
    this.open = undefined;
    return sse('content_block_stop', { index: this.index });
  }
}

/** The provider's message_delta with the gateway's cost and balance added. */
function withReport(event: string, report: GatewayReport): string {
  const at = event.indexOf('\ndata: ');
  try {
    const data = JSON.parse(event.slice(at + 7)) as Record<string, unknown>;
    return `${event.slice(0, at)}\ndata: ${JSON.stringify({ ...data, x_tollgate: report })}\n\n`;
  } catch {
    return event;
  }
}
