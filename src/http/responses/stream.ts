import type { ChatRequest, FinishReason, StreamChunk, ToolCallDelta, Usage } from '../../canonical/index.js';
import type { GatewayError } from '../../errors.js';
import type { GatewayReport, StreamEncoder, StreamIdentity } from '../../pipeline/dialect.js';
import { callItem, callItemId, endingOf, messageItem, messageItemId, reasoningItem, reasoningItemId, refusalPart, renderResponse, textPart, type ContentPart, type Outcome } from './render.js';

interface MessageState {
  kind: 'message';
  id: string;
  index: number;
  parts: ContentPart[];
}
interface ReasoningState {
  kind: 'reasoning';
  id: string;
  index: number;
  /** Summary parts' text, one per thinking block. */
  parts: string[];
  /** Thinking block number → summary index. */
  blocks: Map<number, number>;
}
interface CallState {
  kind: 'call';
  id: string;
  index: number;
  callId: string;
  name: string;
  args: string;
}
type ItemState = MessageState | CallState | ReasoningState;

/**
 * One Responses event stream: response.created / in_progress, then per output item its
 * output_item.added, content parts or argument deltas, and its *.done events once the next item
 * starts or the answer ends; response.completed (or incomplete / failed) carries the whole
 * response. Every event has the next sequence_number. Only the first choice exists here (the
 * Responses API has no `n`).
 */
export class ResponsesStreamEncoder implements StreamEncoder {
  private seq = 0;
  private started = false;
  private readonly items: ItemState[] = [];
  private open: ItemState | undefined;
  private readonly calls = new Map<number, CallState>();
  private finish: FinishReason | undefined;

  constructor(
    private readonly req: ChatRequest,
    private readonly ident: StreamIdentity,
  ) {}

  chunk(chunk: StreamChunk): string {
    let out = this.start();
    for (const d of chunk.choices) {
      if (d.index !== 0) continue;
      if (d.thinking?.text && this.req.params.reasoningSummary) out += this.thinking(d.thinking.block, d.thinking.text);
      if (d.text) out += this.content('output_text', d.text);
      if (d.refusal) out += this.content('refusal', d.refusal);
      for (const t of d.toolCalls ?? []) out += this.toolCall(t);
      if (d.finishReason) this.finish = d.finishReason;
    }
    return out;
  }

  end(usage: Usage | undefined, report: GatewayReport): string {
    const out = this.start() + this.close();
    const ending = endingOf(this.finish);
    const type = ending.status === 'incomplete' ? 'response.incomplete' : 'response.completed';
    return out + this.event(type, { response: this.snapshot({ status: ending.status, usage, incompleteReason: ending.reason }), x_tollgate: report });
  }

  error(err: GatewayError): string {
    const out = this.start();
    return (
      out +
      this.event('error', { code: err.code ?? err.kind, message: err.message, param: err.param }) +
      this.event('response.failed', { response: this.snapshot({ status: 'failed', usage: undefined, error: err }) })
    );
  }

  private event(type: string, fields: Record<string, unknown>): string {
    return `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: this.seq++, ...fields })}\n\n`;
  }

  private snapshot(o: Omit<Outcome, 'output'>): Record<string, unknown> {
    return renderResponse(this.ident, this.req, { ...o, output: this.items.map((i) => this.itemOf(i, i === this.open ? 'in_progress' : o.status === 'incomplete' ? 'incomplete' : 'completed')) });
  }

  private itemOf(i: ItemState, status: 'in_progress' | 'completed' | 'incomplete'): Record<string, unknown> {
    if (i.kind === 'reasoning') return reasoningItem(i.id, i.parts, status);
    return i.kind === 'message' ? messageItem(i.id, i.parts, status) : callItem(i.id, { id: i.callId, name: i.name, arguments: i.args }, status);
  }

  /** Reasoning text of thinking block `block`: a summary part of the open reasoning item. */
  private thinking(block: number, delta: string): string {
    let out = '';
    let item = this.open?.kind === 'reasoning' ? this.open : undefined;
    if (!item) {
      item = { kind: 'reasoning', id: reasoningItemId(this.ident), index: this.items.length, parts: [], blocks: new Map() };
      out += this.add(item);
    }
    let summary = item.blocks.get(block);
    if (summary === undefined) {
      if (item.parts.length) out += this.summaryDone(item);
      summary = item.parts.length;
      item.blocks.set(block, summary);
      item.parts.push('');
      out += this.event('response.reasoning_summary_part.added', { item_id: item.id, output_index: item.index, summary_index: summary, part: { type: 'summary_text', text: '' } });
    }
    item.parts[summary] += delta;
    return out + this.event('response.reasoning_summary_text.delta', { item_id: item.id, output_index: item.index, summary_index: summary, delta });
  }

  private summaryDone(item: ReasoningState): string {
    const where = { item_id: item.id, output_index: item.index, summary_index: item.parts.length - 1 };
    const text = item.parts.at(-1)!;
    return this.event('response.reasoning_summary_text.done', { ...where, text }) + this.event('response.reasoning_summary_part.done', { ...where, part: { type: 'summary_text', text } });
  }

  private start(): string {
    if (this.started) return '';
    this.started = true;
    const response = this.snapshot({ status: 'in_progress', usage: undefined });
    return this.event('response.created', { response }) + this.event('response.in_progress', { response });
  }

  private add(item: ItemState): string {
    const out = this.close();
    this.items.push(item);
    this.open = item;
    return out + this.event('response.output_item.added', { output_index: item.index, item: this.itemOf(item, 'in_progress') });
  }

  private content(type: ContentPart['type'], delta: string): string {
    let out = '';
    let msg = this.open?.kind === 'message' ? this.open : undefined;
    if (!msg) {
      const n = this.items.filter((i) => i.kind === 'message').length;
      msg = { kind: 'message', id: messageItemId(this.ident, n), index: this.items.length, parts: [] };
      out += this.add(msg);
    }
    let part = msg.parts.at(-1);
    if (part?.type !== type) {
      if (part) out += this.partDone(msg);
      part = type === 'output_text' ? textPart('') : refusalPart('');
      msg.parts.push(part);
      out += this.event('response.content_part.added', { item_id: msg.id, output_index: msg.index, content_index: msg.parts.length - 1, part });
    }
    const where = { item_id: msg.id, output_index: msg.index, content_index: msg.parts.length - 1 };
    if (part.type === 'output_text') {
      part.text += delta;
      return out + this.event('response.output_text.delta', { ...where, delta, logprobs: [] });
    }
    part.refusal += delta;
    return out + this.event('response.refusal.delta', { ...where, delta });
  }

  private toolCall(t: ToolCallDelta): string {
    let out = '';
    let call = this.calls.get(t.index);
    if (!call) {
      call = { kind: 'call', id: callItemId(this.ident, this.calls.size), index: this.items.length, callId: t.id ?? '', name: t.name ?? '', args: '' };
      this.calls.set(t.index, call);
      out += this.add(call);
    }
    if (t.id && !call.callId) call.callId = t.id;
    if (t.name && !call.name) call.name = t.name;
    if (!t.arguments) return out;
    call.args += t.arguments;
    return out + this.event('response.function_call_arguments.delta', { item_id: call.id, output_index: call.index, delta: t.arguments });
  }

  private partDone(msg: MessageState): string {
    const part = msg.parts.at(-1)!;
    const where = { item_id: msg.id, output_index: msg.index, content_index: msg.parts.length - 1 };
    const done =
      part.type === 'output_text'
        ? this.event('response.output_text.done', { ...where, text: part.text, logprobs: [] })
        : this.event('response.refusal.done', { ...where, refusal: part.refusal });
    return done + this.event('response.content_part.done', { ...where, part });
  }

  /** Ends the open item (its last part, then the item itself). */
  private close(): string {
    const item = this.open;
    if (!item) return '';
    this.open = undefined;
    let out = '';
    if (item.kind === 'reasoning') {
      if (item.parts.length) out += this.summaryDone(item);
    } else if (item.kind === 'message') {
      if (item.parts.length) out += this.partDone(item);
    } else {
      out += this.event('response.function_call_arguments.done', { item_id: item.id, output_index: item.index, name: item.name, arguments: item.args });
    }
    const status = endingOf(this.finish).status === 'incomplete' ? 'incomplete' : 'completed';
    return out + this.event('response.output_item.done', { output_index: item.index, item: this.itemOf(item, status) });
  }
}
