import type { ContentPart, Message, ThinkingBlock, ToolCall } from '../../canonical/index.js';
import { InvalidRequestError } from '../../errors.js';

/**
 * Anthropic `system` and `messages` → canonical messages. A user turn's tool_result blocks become
 * tool messages placed before the rest of the turn; an assistant turn's text blocks are joined,
 * its tool_use blocks become tool calls and its thinking blocks are kept with their signatures.
 * Blocks the canonical form does not model (documents, server tools, …) are named in `unmodelled`
 * (only Anthropic, which is sent the body as written, can take them). cache_control is a caching
 * hint: Anthropic is sent it; the other providers cache prompts on their own.
 */

export interface ParsedConversation {
  messages: Message[];
  unmodelled: string[];
}

type Block = Record<string, unknown> & { type?: unknown };

const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);

function bad(param: string, message: string): InvalidRequestError {
  return new InvalidRequestError(`${param}: ${message}`, { param });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function blocksOf(content: unknown, at: string): Block[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  if (!Array.isArray(content)) throw bad(at, 'Input should be a valid string or list of content blocks');
  content.forEach((b, j) => {
    if (!isObject(b) || typeof b.type !== 'string') throw bad(`${at}.${j}`, "each content block needs a string 'type'");
  });
  return content as Block[];
}

function text(b: Block, at: string): string {
  if (typeof b.text !== 'string') throw bad(`${at}.text`, 'Field required');
  return b.text;
}

/** The text of a system prompt: a string, or a list of text blocks. */
export function systemText(system: unknown, at: string): string {
  return blocksOf(system, at)
    .map((b, j) => {
      if (b.type !== 'text') throw bad(`${at}.${j}.type`, "system blocks must be of type 'text'");
      return text(b, `${at}.${j}`);
    })
    .join('\n\n');
}

/** An image block → a canonical image (a data: URL for base64, the URL itself for url sources); undefined for sources only Anthropic has (files). */
function image(b: Block, at: string): ContentPart | undefined {
  const s = b.source;
  if (!isObject(s)) throw bad(`${at}.source`, 'Field required');
  if (s.type === 'base64') {
    if (typeof s.media_type !== 'string' || !IMAGE_TYPES.has(s.media_type) || typeof s.data !== 'string' || !s.data) {
      throw bad(`${at}.source`, 'a base64 image needs data and a media_type of image/jpeg, image/png, image/gif or image/webp');
    }
    return { type: 'image', url: `data:${s.media_type};base64,${s.data}` };
  }
  if (s.type === 'url') {
    if (typeof s.url !== 'string' || !/^https?:\/\//i.test(s.url)) throw bad(`${at}.source.url`, 'must be an http(s) URL');
    return { type: 'image', url: s.url };
  }
  return undefined;
}

/** A tool_result's content → text; images and other blocks in it are not modelled. */
function toolResultText(content: unknown, at: string, unmodelled: string[]): string {
  if (content === undefined) return '';
  const parts: string[] = [];
  blocksOf(content, at).forEach((b, j) => {
    if (b.type === 'text') parts.push(text(b, `${at}.${j}`));
    else unmodelled.push(`${at}.${j}.type=${String(b.type)}`);
  });
  return parts.join('\n');
}

function userTurn(blocks: Block[], at: string, out: Message[], unmodelled: string[]): void {
  const content: ContentPart[] = [];
  blocks.forEach((b, j) => {
    const where = `${at}.content.${j}`;
    if (b.type === 'text') content.push({ type: 'text', text: text(b, where) });
    else if (b.type === 'image') {
      const img = image(b, where);
      if (img) content.push(img);
      else unmodelled.push(`${where}.source.type=${String((b.source as Record<string, unknown>).type)}`);
    } else if (b.type === 'tool_result') {
      if (typeof b.tool_use_id !== 'string' || !b.tool_use_id) throw bad(`${where}.tool_use_id`, 'Field required');
      out.push({ role: 'tool', toolCallId: b.tool_use_id, text: toolResultText(b.content, `${where}.content`, unmodelled) });
    } else unmodelled.push(`${where}.type=${String(b.type)}`);
  });
  if (content.length > 0) out.push({ role: 'user', content });
}

function assistantTurn(blocks: Block[], at: string, out: Message[], unmodelled: string[]): void {
  const texts: string[] = [];
  const toolCalls: ToolCall[] = [];
  const thinking: ThinkingBlock[] = [];
  blocks.forEach((b, j) => {
    const where = `${at}.content.${j}`;
    if (b.type === 'text') texts.push(text(b, where));
    else if (b.type === 'tool_use') {
      if (typeof b.id !== 'string' || typeof b.name !== 'string' || !isObject(b.input)) throw bad(where, 'tool_use needs an id, a name and an object input');
      toolCalls.push({ id: b.id, name: b.name, arguments: JSON.stringify(b.input) });
    } else if (b.type === 'thinking') {
      if (typeof b.thinking !== 'string' || typeof b.signature !== 'string') throw bad(where, 'a thinking block needs its thinking text and signature');
      thinking.push({ type: 'thinking', thinking: b.thinking, signature: b.signature });
    } else if (b.type === 'redacted_thinking') {
      if (typeof b.data !== 'string') throw bad(`${where}.data`, 'Field required');
      thinking.push({ type: 'redacted_thinking', data: b.data });
    } else unmodelled.push(`${where}.type=${String(b.type)}`);
  });
  const msg: Message = { role: 'assistant', text: texts.length > 0 ? texts.join('') : toolCalls.length > 0 ? null : '' };
  if (toolCalls.length > 0) msg.toolCalls = toolCalls;
  if (thinking.length > 0) msg.thinking = thinking;
  out.push(msg);
}

export function parseConversation(system: unknown, messages: unknown): ParsedConversation {
  if (!Array.isArray(messages) || messages.length === 0) throw bad('messages', 'at least one message is required');
  const out: Message[] = [];
  const unmodelled: string[] = [];
  if (system !== undefined) {
    const s = systemText(system, 'system');
    if (s) out.push({ role: 'system', text: s });
  }
  messages.forEach((m, i) => {
    const at = `messages.${i}`;
    if (!isObject(m)) throw bad(at, 'Input should be an object');
    const blocks = blocksOf(m.content, `${at}.content`);
    if (m.role === 'user') userTurn(blocks, at, out, unmodelled);
    else if (m.role === 'assistant') assistantTurn(blocks, at, out, unmodelled);
    // Newer API versions accept system turns inside the conversation.
    else if (m.role === 'system') out.push({ role: 'system', text: systemText(m.content, `${at}.content`) });
    else throw bad(`${at}.role`, "Input should be 'user', 'assistant' or 'system'");
  });
  checkToolResults(out);
  return { messages: out, unmodelled };
}

/** Every tool_result must answer a tool_use made earlier in the conversation. */
function checkToolResults(messages: Message[]): void {
  const seen = new Set<string>();
  for (const m of messages) {
    if (m.role === 'assistant') for (const c of m.toolCalls ?? []) seen.add(c.id);
    if (m.role === 'tool' && !seen.has(m.toolCallId)) {
      throw bad('messages', `unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${m.toolCallId}. Each \`tool_result\` block must have a corresponding \`tool_use\` block earlier in the conversation.`);
    }
  }
}
