/**
 * Request checks of the simulated Messages API: what the real API answers with a 400
 * invalid_request_error, with messages in its style. It models a Claude 4.5-era model: no
 * `system` role inside `messages`, strictly alternating turns (the gateway must merge them).
 */

export interface WireBlock {
  type?: string;
  text?: unknown;
  source?: { type?: string; media_type?: string; data?: unknown; url?: unknown };
  id?: string;
  name?: string;
  input?: unknown;
  tool_use_id?: string;
  content?: unknown;
}
export interface WireTurn {
  role?: string;
  content?: string | WireBlock[];
}
export interface WireBody {
  model?: unknown;
  max_tokens?: unknown;
  messages?: WireTurn[];
  system?: string | { type?: string; text?: string }[];
  stream?: boolean;
  temperature?: number;
  top_p?: number;
  top_k?: number;
  stop_sequences?: string[];
  metadata?: { user_id?: string };
  tools?: { name?: string; input_schema?: Record<string, unknown> }[];
  tool_choice?: { type?: string; name?: string; disable_parallel_tool_use?: boolean };
  thinking?: { type?: string; budget_tokens?: number };
  output_config?: { format?: { type?: string; schema?: Record<string, unknown> } };
  [k: string]: unknown;
}

export const API_VERSIONS: ReadonlySet<string> = new Set(['2023-01-01', '2023-06-01', '2026-10-21']);

const FIELDS = new Set([
  'model', 'messages', 'max_tokens', 'system', 'metadata', 'stop_sequences', 'stream', 'temperature', 'top_p', 'top_k', 'tools',
  'tool_choice', 'thinking', 'service_tier', 'output_config', 'container', 'mcp_servers', 'context_management', 'inference_geo',
]);
const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);
const TOOL_NAME = /^[a-zA-Z0-9_-]{1,128}$/;

export function blocksOf(turn: WireTurn | undefined): WireBlock[] {
  if (!turn) return [];
  return typeof turn.content === 'string' ? [{ type: 'text', text: turn.content }] : Array.isArray(turn.content) ? turn.content : [];
}

function checkBlock(b: WireBlock, role: string, at: string): string | undefined {
  switch (b.type) {
    case 'text':
      return typeof b.text === 'string' && b.text.length > 0 ? undefined : `${at}.text: text content blocks must be non-empty`;
    case 'image': {
      const s = b.source ?? {};
      if (s.type === 'base64') return IMAGE_TYPES.has(s.media_type ?? '') && typeof s.data === 'string' && s.data ? undefined : `${at}.source: invalid base64 image source`;
      if (s.type === 'url') return typeof s.url === 'string' && /^https?:\/\//.test(s.url) ? undefined : `${at}.source.url: must be an http(s) URL`;
      return `${at}.source.type: Input tag '${s.type}' found using 'type' does not match any of the expected tags: 'base64', 'file', 'url'`;
    }
    case 'tool_use':
      if (role !== 'assistant') return `${at}: tool_use blocks are only allowed in assistant messages`;
      if (!b.id || !/^[a-zA-Z0-9_-]+$/.test(b.id)) return `${at}.id: String should match pattern '^[a-zA-Z0-9_-]+$'`;
      return b.name && b.input && typeof b.input === 'object' && !Array.isArray(b.input) ? undefined : `${at}: tool_use needs a name and an object input`;
    case 'tool_result':
      return role === 'user' && b.tool_use_id ? undefined : `${at}: tool_result blocks need a tool_use_id and belong in user messages`;
    case 'thinking':
    case 'redacted_thinking':
      return role === 'assistant' ? undefined : `${at}: thinking blocks are only allowed in assistant messages`;
    default:
      return `${at}.type: Input tag '${b.type}' found using 'type' does not match any of the expected tags`;
  }
}

function checkMessages(msgs: WireTurn[]): string | undefined {
  if (msgs.length === 0) return 'messages: at least one message is required';
  for (const [i, m] of msgs.entries()) {
    if (m.role === 'system') {
      return 'messages: Unexpected role "system". The Messages API accepts a top-level `system` parameter, not "system" as an input message role.';
    }
    if (m.role !== 'user' && m.role !== 'assistant') return `messages.${i}.role: Input should be 'user' or 'assistant'`;
    if (i === 0 && m.role !== 'user') return 'messages: first message must use the "user" role';
    if (i > 0 && msgs[i - 1]!.role === m.role) return `messages: roles must alternate between "user" and "assistant", but found multiple "${m.role}" roles in a row`;
    const blocks = blocksOf(m);
    const final = i === msgs.length - 1;
    if (blocks.length === 0 && !(final && m.role === 'assistant')) return `messages.${i}: all messages must have non-empty content except for the optional final assistant message`;
    let seenOther = false;
    for (const [j, b] of blocks.entries()) {
      const problem = checkBlock(b, m.role, `messages.${i}.content.${j}`);
      if (problem) return problem;
      if (b.type !== 'tool_result') seenOther = true;
      else if (seenOther) return `messages.${i}: tool_result blocks must come first in the content, before any other block`;
    }
    const prevUses = new Set(blocksOf(msgs[i - 1]).filter((b) => b.type === 'tool_use').map((b) => b.id));
    for (const b of blocks) {
      if (b.type === 'tool_result' && !prevUses.has(b.tool_use_id)) {
        return `messages.${i}.content: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${b.tool_use_id}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`;
      }
    }
    const next = msgs[i + 1];
    if (m.role === 'assistant' && next) {
      const answered = new Set(blocksOf(next).filter((b) => b.type === 'tool_result').map((b) => b.tool_use_id));
      const missing = blocks.filter((b) => b.type === 'tool_use' && !answered.has(b.id)).map((b) => b.id);
      if (missing.length) return `messages.${i}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.join(', ')}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`;
    }
    const lastBlock = blocks.at(-1);
    if (final && m.role === 'assistant' && lastBlock?.type === 'text' && /\s$/.test(String(lastBlock.text))) {
      return 'messages: final assistant content cannot end with trailing whitespace';
    }
  }
  return undefined;
}

function checkSampling(b: WireBody, version: string): string | undefined {
  for (const k of ['temperature', 'top_p', 'top_k'] as const) {
    if (b[k] === undefined) continue;
    if (version === '2026-10-21') return `${k}: this parameter is not supported in API version 2026-10-21`;
    if (typeof b[k] !== 'number' || b[k] < 0 || (k !== 'top_k' && b[k] > 1)) return `${k}: Input should be ${k === 'top_k' ? 'a non-negative integer' : 'between 0 and 1'}`;
  }
  if (b.stop_sequences !== undefined && !(Array.isArray(b.stop_sequences) && b.stop_sequences.every((s) => typeof s === 'string'))) {
    return 'stop_sequences: Input should be a valid list of strings';
  }
  if (b.metadata?.user_id !== undefined && (typeof b.metadata.user_id !== 'string' || b.metadata.user_id.length > 256)) {
    return 'metadata.user_id: String should have at most 256 characters';
  }
  return undefined;
}

function checkTools(b: WireBody): string | undefined {
  const names = new Set<string>();
  for (const [i, t] of (b.tools ?? []).entries()) {
    if (!t.name || !TOOL_NAME.test(t.name)) return `tools.${i}.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'`;
    if (!t.input_schema || t.input_schema.type !== 'object') return `tools.${i}.input_schema.type: Input should be 'object'`;
    names.add(t.name);
  }
  const tc = b.tool_choice;
  if (!tc) return undefined;
  if (!b.tools?.length) return 'tool_choice: tool_choice may only be specified while providing tools';
  if (!['auto', 'any', 'tool', 'none'].includes(tc.type ?? '')) return `tool_choice.type: Input tag '${tc.type}' does not match any of the expected tags: 'auto', 'any', 'tool', 'none'`;
  if (tc.type === 'tool' && !names.has(tc.name ?? '')) return `tool_choice.name: Tool '${tc.name}' not found in the provided tools`;
  return undefined;
}

function checkThinking(b: WireBody, maxTokens: number): string | undefined {
  const t = b.thinking;
  if (!t || t.type === 'disabled') return undefined;
  if (t.type !== 'enabled') return `thinking.type: Input tag '${t.type}' does not match any of the expected tags: 'enabled', 'disabled'`;
  if (typeof t.budget_tokens !== 'number' || t.budget_tokens < 1024) return 'thinking.enabled.budget_tokens: Input should be greater than or equal to 1024';
  if (t.budget_tokens >= maxTokens) return '`max_tokens` must be greater than `thinking.budget_tokens`';
  if (b.temperature !== undefined && b.temperature !== 1) return '`temperature` may only be set to 1 when thinking is enabled';
  if (b.top_p !== undefined && b.top_p < 0.95) return '`top_p` must be greater than or equal to 0.95 when thinking is enabled';
  if (b.top_k !== undefined) return '`top_k` must be unset when thinking is enabled';
  if (b.tool_choice?.type === 'any' || b.tool_choice?.type === 'tool') return 'Thinking may not be enabled when tool_choice forces tool use.';
  return undefined;
}

/** The first problem the real API would report for this body, or undefined when it is acceptable. */
export function validateMessagesBody(b: WireBody, version: string): string | undefined {
  for (const k of Object.keys(b)) if (!FIELDS.has(k)) return `${k}: Extra inputs are not permitted`;
  if (typeof b.model !== 'string' || !b.model) return 'model: Field required';
  if (b.max_tokens === undefined) return 'max_tokens: Field required';
  if (typeof b.max_tokens !== 'number' || !Number.isInteger(b.max_tokens) || b.max_tokens < 1) return 'max_tokens: Input should be a positive integer';
  if (!Array.isArray(b.messages)) return 'messages: Field required';
  if (b.system !== undefined && typeof b.system !== 'string' && !Array.isArray(b.system)) return 'system: Input should be a valid string or list of text blocks';
  return checkMessages(b.messages) ?? checkSampling(b, version) ?? checkTools(b) ?? checkThinking(b, b.max_tokens);
}
