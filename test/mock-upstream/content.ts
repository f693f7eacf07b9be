/**
 * What the mock "model" says: deterministic replies derived from the request, so tests can
 * predict text, tool calls and token counts exactly.
 *
 * - Token count of a text: the number of its whitespace-separated words (`countWords`).
 * - Reply: "Mock reply to: <last user text, first 12 words>" unless the prompt holds a directive:
 *   `[[reply:N]]` → a reply of exactly N words ("w1 w2 … wN");
 *   `[[echo]]` → the last user text verbatim.
 * - Tools: when tools are offered, tool use is allowed, and the last message is not a tool
 *   result, the model calls the forced tool (or the first one) with arguments built from its JSON
 *   schema; after a tool result it answers "Tool result received: <result>".
 * - JSON mode: the reply is a JSON object (from the schema when one is given).
 * - `[[cached:N]]` in the prompt → the provider reports N cached prompt tokens.
 */

export interface MockTool {
  name: string;
  schema?: Record<string, unknown>;
}

export interface MockTurn {
  /** Concatenated text of the whole prompt (system + messages), for directives and counting. */
  promptText: string;
  /** Text of the last user message ('' if the last message is not from the user). */
  lastUserText: string;
  lastIsToolResult: boolean;
  toolResultText: string;
  imageCount: number;
  tools: MockTool[];
  /** 'auto' | 'none' | 'required' | a tool name */
  toolChoice: string;
  json: 'none' | 'object' | { schema: Record<string, unknown> };
  maxTokens?: number;
  stop?: string[];
}

export interface MockAnswer {
  text: string;
  toolCalls: { id: string; name: string; arguments: string }[];
  finish: 'stop' | 'length' | 'tool_calls';
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
}

export function countWords(text: string): number {
  let n = 0;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const space = c === 32 || c === 10 || c === 9 || c === 13;
    if (!space && !inWord) n++;
    inWord = !space;
  }
  return n;
}

export function sampleFromSchema(schema: Record<string, unknown> | undefined, depth = 0): unknown {
  if (!schema || depth > 6) return 'value';
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  if (schema.const !== undefined) return schema.const;
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'object': {
      const props = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(props)) out[k] = sampleFromSchema(v, depth + 1);
      return out;
    }
    case 'array':
      return [sampleFromSchema(schema.items as Record<string, unknown> | undefined, depth + 1)];
    case 'integer':
      return 42;
    case 'number':
      return 4.2;
    case 'boolean':
      return true;
    case 'null':
      return null;
    default:
      return 'mock';
  }
}

function words(n: number): string {
  const out: string[] = [];
  for (let i = 1; i <= n; i++) out.push(`w${i}`);
  return out.join(' ');
}

let callSeq = 0;

export function answer(turn: MockTurn, idPrefix = 'call_'): MockAnswer {
  const promptTokens = countWords(turn.promptText) + turn.imageCount * 85;
  const cached = /\[\[cached:(\d+)\]\]/.exec(turn.promptText);
  const cachedTokens = cached ? Math.min(Number(cached[1]), promptTokens) : 0;

  const toolsAllowed = turn.tools.length > 0 && turn.toolChoice !== 'none' && !turn.lastIsToolResult;
  if (toolsAllowed) {
    const tool = turn.tools.find((t) => t.name === turn.toolChoice) ?? turn.tools[0]!;
    const args = JSON.stringify(sampleFromSchema(tool.schema ?? { type: 'object', properties: {} }));
    callSeq = (callSeq + 1) % 1_000_000;
    const id = `${idPrefix}${String(callSeq).padStart(6, '0')}mock`;
    return { text: '', toolCalls: [{ id, name: tool.name, arguments: args }], finish: 'tool_calls', promptTokens, completionTokens: countWords(args) + 1, cachedTokens };
  }

  let text: string;
  const reply = /\[\[reply:(\d+)\]\]/.exec(turn.promptText);
  if (turn.lastIsToolResult) text = `Tool result received: ${turn.toolResultText}`;
  else if (turn.json !== 'none') {
    text = JSON.stringify(turn.json === 'object' ? { reply: 'mock', words: countWords(turn.lastUserText) } : sampleFromSchema(turn.json.schema));
  } else if (reply) text = words(Number(reply[1]));
  else if (turn.promptText.includes('[[echo]]')) text = turn.lastUserText.replace('[[echo]]', '').trim();
  else {
    const head = turn.lastUserText.split(/\s+/).filter(Boolean).slice(0, 12).join(' ');
    text = `Mock reply to: ${head}${turn.imageCount ? ` (saw ${turn.imageCount} image${turn.imageCount > 1 ? 's' : ''})` : ''}`;
  }

  let finish: MockAnswer['finish'] = 'stop';
  if (turn.stop) {
    for (const s of turn.stop) {
      const at = text.indexOf(s);
      if (at >= 0) text = text.slice(0, at);
    }
  }
  if (turn.maxTokens !== undefined && countWords(text) > turn.maxTokens) {
    text = text.split(' ').slice(0, turn.maxTokens).join(' ');
    finish = 'length';
  }
  return { text, toolCalls: [], finish, promptTokens, completionTokens: countWords(text), cachedTokens };
}

/** Splits text into stream pieces of one word each (keeping the spaces), like a model would. */
export function streamPieces(text: string): string[] {
  if (text === '') return [];
  const parts = text.split(/(?<= )/);
  return parts;
}

/** Splits a string into n roughly equal pieces (for streaming tool-call arguments). */
export function splitInto(s: string, n: number): string[] {
  if (s.length === 0) return [''];
  const size = Math.max(1, Math.ceil(s.length / n));
  const out: string[] = [];
  for (let i = 0; i < s.length; i += size) out.push(s.slice(i, i + size));
  return out;
}

/** Deterministic embedding of a text: `dims` floats in [-1, 1] derived from its characters. */
export function embed(text: string, dims = 8): number[] {
  const v = new Array<number>(dims).fill(0);
  for (let i = 0; i < text.length; i++) v[i % dims] = v[i % dims]! + ((text.charCodeAt(i) % 97) / 97 - 0.5);
  const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0)) || 1;
  return v.map((x) => Math.round((x / norm) * 1e6) / 1e6);
}
