import type { AssistantMessage, ContentPart, Message, ToolCall } from '../../canonical/index.js';
import { InvalidRequestError } from '../../errors.js';
import type { WireContent, WirePart } from './schema.js';

/**
 * Gemini `contents` (and `systemInstruction`) → canonical messages. A `user` turn holds text,
 * inlineData images and functionResponse parts (tool results, one message each); a `model` turn
 * text and functionCall parts. Function calls without an id are named `call_<turn>_<part>`, and
 * a response without an id answers the earliest unanswered call of its name. Thought parts (and
 * thought signatures) are the model's own notes, not prompt: they are left out.
 */

const bad = (message: string, param: string, code = 'invalid_request') => new InvalidRequestError(message, { param, code });

/** Part fields that carry Gemini-only features the canonical form cannot express. */
const UNSUPPORTED_PARTS: Readonly<Record<string, string>> = {
  fileData: 'file URIs point into Gemini’s file store; send the bytes as inlineData',
  executableCode: 'code execution is a Gemini built-in tool the gateway does not run',
  codeExecutionResult: 'code execution is a Gemini built-in tool the gateway does not run',
  videoMetadata: 'video input is not supported by the gateway',
};

export function systemText(sys: WireContent | string): string {
  if (typeof sys === 'string') return sys;
  return sys.parts
    .map((p, j) => {
      if (typeof p.text !== 'string') throw bad(`systemInstruction.parts[${j}] must be a text part.`, `systemInstruction.parts[${j}]`);
      return p.text;
    })
    .join('\n');
}

export function contentsToMessages(contents: WireContent[]): Message[] {
  const out: Message[] = [];
  const pending: ToolCall[] = [];
  contents.forEach((c, i) => {
    const at = `contents[${i}]`;
    const role = c.role ?? 'user';
    if (role === 'model') out.push(modelTurn(c.parts, i, pending));
    else if (role === 'user' || role === 'function') out.push(...userTurn(c.parts, at, pending));
    else throw bad(`Invalid value for '${at}.role': must be "user" or "model".`, `${at}.role`);
  });
  return out;
}

function unsupported(p: WirePart, at: string): never {
  for (const k in p) {
    const why = UNSUPPORTED_PARTS[k];
    if (why) throw bad(`${at}: ${k} parts are not supported: ${why}.`, `${at}.${k}`, 'unsupported_parameter');
  }
  throw bad(`${at}: the part has no text, inlineData, functionCall or functionResponse.`, at);
}

function modelTurn(parts: WirePart[], i: number, pending: ToolCall[]): AssistantMessage {
  let text: string | null = null;
  const calls: ToolCall[] = [];
  parts.forEach((p, j) => {
    const at = `contents[${i}].parts[${j}]`;
    if (p.thought) return;
    if (typeof p.text === 'string') text = (text ?? '') + p.text;
    else if (p.functionCall) {
      if (!p.functionCall.name) throw bad(`Missing required parameter: '${at}.functionCall.name'.`, `${at}.functionCall.name`);
      const call = { id: p.functionCall.id || `call_${i}_${j}`, name: p.functionCall.name, arguments: JSON.stringify(p.functionCall.args ?? {}) };
      calls.push(call);
      pending.push(call);
    } else if (!p.thoughtSignature) unsupported(p, at);
  });
  const msg: AssistantMessage = { role: 'assistant', text: text ?? (calls.length ? null : '') };
  if (calls.length) msg.toolCalls = calls;
  return msg;
}

function userTurn(parts: WirePart[], at: string, pending: ToolCall[]): Message[] {
  const out: Message[] = [];
  let content: ContentPart[] = [];
  const flush = () => {
    if (content.length) out.push({ role: 'user', content });
    content = [];
  };
  parts.forEach((p, j) => {
    const pat = `${at}.parts[${j}]`;
    if (typeof p.text === 'string') content.push({ type: 'text', text: p.text });
    else if (p.inlineData) content.push(image(p.inlineData, pat));
    else if (p.functionResponse) {
      flush();
      out.push(toolResult(p.functionResponse, pat, pending));
    } else unsupported(p, pat);
  });
  flush();
  return out;
}

function image(d: NonNullable<WirePart['inlineData']>, at: string): ContentPart {
  if (!d.mimeType?.startsWith('image/') || typeof d.data !== 'string') {
    throw bad(`${at}.inlineData: only images (image/* with base64 data) are supported by the gateway.`, `${at}.inlineData.mimeType`, 'unsupported_parameter');
  }
  return { type: 'image', url: `data:${d.mimeType};base64,${d.data}` };
}

function toolResult(r: NonNullable<WirePart['functionResponse']>, at: string, pending: ToolCall[]): Message {
  const k = pending.findIndex((c) => (r.id ? c.id === r.id : c.name === r.name));
  if (k < 0) throw bad(`${at}.functionResponse answers no earlier functionCall${r.id ? ` with id '${r.id}'` : ` named '${r.name ?? ''}'`}.`, `${at}.functionResponse`);
  const [call] = pending.splice(k, 1);
  // A response of the form {result: …} (what the gateway sends Gemini for a tool result) is unwrapped; any other object goes as JSON.
  const resp = r.response ?? {};
  const keys = Object.keys(resp);
  const text = keys.length === 1 && keys[0] === 'result' && typeof resp.result === 'string' ? resp.result : JSON.stringify(resp);
  return { role: 'tool', toolCallId: call!.id, text };
}
