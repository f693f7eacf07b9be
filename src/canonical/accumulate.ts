import type { ThinkingBlock } from './request.js';
import type { ChatChoice, ChatResponse, FinishReason, Usage } from './response.js';
import type { ChoiceDelta, PromptUsage, StreamChunk } from './stream.js';

interface ChoiceState {
  text: string[];
  refusal: string[];
  tools: Map<number, { id: string; name: string; args: string[] }>;
  thinking: Map<number, { text: string[]; signature: string; redacted?: string }>;
  finish: FinishReason | undefined;
  stopSequence?: string;
}

/** Rebuilds a whole response from stream chunks (for stored replies: idempotency and the cache). */
export class StreamAccumulator {
  private readonly choices = new Map<number, ChoiceState>();
  id = '';
  model = '';
  created = 0;
  usage: Usage | undefined;
  /** The provider's prompt figures, when it reported them before the end. */
  promptUsage: PromptUsage | undefined;

  add(chunk: StreamChunk): void {
    if (chunk.id && !this.id) this.id = chunk.id;
    if (chunk.model && !this.model) this.model = chunk.model;
    if (chunk.created && !this.created) this.created = chunk.created;
    if (chunk.usage) this.usage = chunk.usage;
    if (chunk.promptUsage) this.promptUsage = chunk.promptUsage;
    for (const d of chunk.choices) {
      let c = this.choices.get(d.index);
      if (!c) {
        c = { text: [], refusal: [], tools: new Map(), thinking: new Map(), finish: undefined };
        this.choices.set(d.index, c);
      }
      if (d.text) c.text.push(d.text);
      if (d.refusal) c.refusal.push(d.refusal);
      if (d.finishReason) c.finish = d.finishReason;
      if (d.stopSequence) c.stopSequence = d.stopSequence;
      if (d.thinking) addThinking(c, d.thinking);
      for (const t of d.toolCalls ?? []) {
        let tool = c.tools.get(t.index);
        if (!tool) {
          tool = { id: '', name: '', args: [] };
          c.tools.set(t.index, tool);
        }
        if (t.id) tool.id = t.id;
        if (t.name) tool.name = t.name;
        if (t.arguments) tool.args.push(t.arguments);
      }
    }
  }

  /** Every piece of generated text and tool arguments, in order (for token estimation). */
  generatedText(): string {
    let out = '';
    for (const c of this.choices.values()) {
      out += c.text.join('') + c.refusal.join('');
      for (const t of c.tools.values()) out += t.args.join('');
    }
    return out;
  }

  get complete(): boolean {
    if (this.choices.size === 0) return false;
    for (const c of this.choices.values()) if (!c.finish) return false;
    return true;
  }

  response(): ChatResponse {
    const choices: ChatChoice[] = [...this.choices.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, c]) => {
        const choice: ChatChoice = { index, text: c.text.length || !c.tools.size ? c.text.join('') : null, finishReason: c.finish ?? 'stop' };
        if (c.tools.size) {
          choice.toolCalls = [...c.tools.entries()].sort(([a], [b]) => a - b).map(([, t]) => ({ id: t.id, name: t.name, arguments: t.args.join('') }));
        }
        if (c.refusal.length) choice.refusal = c.refusal.join('');
        if (c.thinking.size) choice.thinking = [...c.thinking.entries()].sort(([a], [b]) => a - b).map(([, t]) => thinkingBlock(t));
        if (c.stopSequence) choice.stopSequence = c.stopSequence;
        return choice;
      });
    return { id: this.id, created: this.created, model: this.model, choices, usage: this.usage };
  }
}

function addThinking(c: ChoiceState, d: NonNullable<ChoiceDelta['thinking']>): void {
  let t = c.thinking.get(d.block);
  if (!t) {
    t = { text: [], signature: '' };
    c.thinking.set(d.block, t);
  }
  if (d.text) t.text.push(d.text);
  if (d.signature) t.signature += d.signature;
  if (d.redacted !== undefined) t.redacted = d.redacted;
}

function thinkingBlock(t: { text: string[]; signature: string; redacted?: string }): ThinkingBlock {
  return t.redacted !== undefined ? { type: 'redacted_thinking', data: t.redacted } : { type: 'thinking', thinking: t.text.join(''), signature: t.signature };
}
