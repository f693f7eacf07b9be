import { createHash } from 'node:crypto';
import type { ContentPart, Message, ToolCall } from '../../canonical/index.js';
import { InvalidRequestError, UnsupportedParameterError } from '../../errors.js';

export type AnthropicBlock = Record<string, unknown> & { type: string };

export interface AnthropicTurn {
  role: 'user' | 'assistant';
  content: AnthropicBlock[];
}

export interface AnthropicConversation {
  /** Every system message's text, in order, joined by a blank line (Anthropic has one top-level system prompt). */
  system?: string;
  messages: AnthropicTurn[];
}

const PROVIDER = 'Anthropic';
const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);

/**
 * Canonical messages → Anthropic's `system` + strictly alternating user/assistant turns:
 * - system messages (wherever they stand) are concatenated into the top-level `system`;
 * - consecutive turns of the same role are merged into one;
 * - tool results become `tool_result` blocks of a user turn, placed before any text of that turn
 *   (Anthropic wants them first), so consecutive tool results share one user turn;
 * - messages without content (an empty assistant text, an empty user text) are left out, since
 *   Anthropic rejects empty text blocks and empty turns.
 */
export function toAnthropicConversation(messages: Message[]): AnthropicConversation {
  const system: string[] = [];
  const turns: AnthropicTurn[] = [];
  messages.forEach((m, i) => {
    if (m.role === 'system') {
      if (m.text) system.push(m.text);
      return;
    }
    const blocks = blocksOf(m, i);
    if (blocks.length === 0) return;
    const role = m.role === 'assistant' ? 'assistant' : 'user';
    const last = turns.at(-1);
    if (last?.role === role) appendBlocks(last, blocks);
    else turns.push({ role, content: blocks });
  });
  if (turns.length === 0) throw new InvalidRequestError('Anthropic needs at least one user message with content.', { param: 'messages' });
  if (turns[0]!.role !== 'user') {
    throw new InvalidRequestError('Anthropic needs the conversation to start with a user message (after any system messages).', { param: 'messages' });
  }
  trimPrefill(turns);
  return system.length > 0 ? { system: system.join('\n\n'), messages: turns } : { messages: turns };
}

function blocksOf(m: Exclude<Message, { role: 'system' }>, i: number): AnthropicBlock[] {
  if (m.role !== 'tool' && m.name) {
    throw new UnsupportedParameterError(`messages[${i}].name`, PROVIDER, 'Anthropic messages carry no participant name');
  }
  switch (m.role) {
    case 'user':
      return userBlocks(m.content, i);
    case 'assistant': {
      // Thinking blocks go back first, exactly as received: Anthropic verifies their signatures.
      const out: AnthropicBlock[] = (m.thinking ?? []).map((t) => ({ ...t }));
      if (m.text) out.push({ type: 'text', text: m.text });
      m.toolCalls?.forEach((c, k) => out.push(toolUseBlock(c, `messages[${i}].tool_calls[${k}]`)));
      return out;
    }
    case 'tool': {
      const id = anthropicToolId(m.toolCallId);
      return [m.text ? { type: 'tool_result', tool_use_id: id, content: m.text } : { type: 'tool_result', tool_use_id: id }];
    }
  }
}

function userBlocks(parts: ContentPart[], i: number): AnthropicBlock[] {
  const out: AnthropicBlock[] = [];
  parts.forEach((p, j) => {
    if (p.type === 'text') {
      if (p.text) out.push({ type: 'text', text: p.text });
    } else {
      // OpenAI's `detail` is a resolution hint with no Anthropic counterpart: Anthropic sizes images itself.
      out.push({ type: 'image', source: imageSource(p.url, `messages[${i}].content[${j}].image_url.url`) });
    }
  });
  return out;
}

/** data: URLs become base64 sources, http(s) URLs become url sources (Anthropic fetches them). */
function imageSource(url: string, param: string): Record<string, string> {
  if (!url.startsWith('data:')) return { type: 'url', url };
  const comma = url.indexOf(',');
  const header = url.slice(5, comma < 0 ? 5 : comma).toLowerCase();
  let mediaType = header.replace(/;base64$/, '');
  if (mediaType === 'image/jpg') mediaType = 'image/jpeg';
  if (comma < 0 || !header.endsWith(';base64') || !IMAGE_TYPES.has(mediaType)) {
    throw new InvalidRequestError(`${param}: Anthropic accepts base64 data URLs of image/jpeg, image/png, image/gif or image/webp; got '${header}'.`, {
      param,
      code: 'invalid_image',
    });
  }
  return { type: 'base64', media_type: mediaType, data: url.slice(comma + 1) };
}

function toolUseBlock(c: ToolCall, where: string): AnthropicBlock {
  let input: unknown = {};
  if (c.arguments.trim() !== '') {
    try {
      input = JSON.parse(c.arguments);
    } catch {
      throw new InvalidRequestError(`${where}.function.arguments is not valid JSON; Anthropic needs tool-call arguments as a JSON object.`, {
        param: `${where}.function.arguments`,
      });
    }
  }
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new InvalidRequestError(`${where}.function.arguments must be a JSON object for Anthropic.`, { param: `${where}.function.arguments` });
  }
  return { type: 'tool_use', id: anthropicToolId(c.id), name: c.name, input };
}

/**
 * Anthropic accepts tool-use ids of letters, digits, '_' and '-' only. Ids minted elsewhere (another
 * provider, a client) that do not fit are replaced by a stable hash, the same for the call and its result.
 */
function anthropicToolId(id: string): string {
  return /^[a-zA-Z0-9_-]+$/.test(id) ? id : `toolu_${createHash('sha256').update(id).digest('hex').slice(0, 24)}`;
}

function appendBlocks(turn: AnthropicTurn, blocks: AnthropicBlock[]): void {
  for (const b of blocks) {
    if (b.type !== 'tool_result') {
      turn.content.push(b);
      continue;
    }
    const firstOther = turn.content.findIndex((x) => x.type !== 'tool_result');
    if (firstOther < 0) turn.content.push(b);
    else turn.content.splice(firstOther, 0, b);
  }
}

/** A final assistant turn is a prefill, and Anthropic rejects a prefill that ends in whitespace. */
function trimPrefill(turns: AnthropicTurn[]): void {
  const last = turns.at(-1)!;
  if (last.role !== 'assistant') return;
  const block = last.content.at(-1)!;
  if (block.type !== 'text') return;
  const text = (block.text as string).trimEnd();
  if (text) block.text = text;
  else last.content.pop();
  if (last.content.length === 0) turns.pop();
}
