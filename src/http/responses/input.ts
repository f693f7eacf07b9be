import type { ContentPart, Message } from '../../canonical/index.js';
import { InvalidRequestError } from '../../errors.js';

/**
 * Responses `input` → canonical messages. Items are message items (any role; input_text and
 * input_image parts, or output_text / refusal parts of an earlier answer sent back),
 * `function_call` items (joined to the assistant turn before them) and `function_call_output`
 * items (tool results). Items that only make sense with stored state are a 400.
 */

type Item = Record<string, unknown>;

const bad = (message: string, param: string) => new InvalidRequestError(message, { param });
const text = (v: unknown, param: string): string => {
  if (typeof v !== 'string') throw bad(`Invalid value for '${param}': expected a string.`, param);
  return v;
};

const STATELESS_ITEMS: Readonly<Record<string, string>> = {
  item_reference: 'item references need stored responses, which the gateway does not keep; send the items themselves',
  reasoning: 'reasoning items cannot be sent back through the gateway; leave them out of the input',
  compaction: 'compaction items need stored responses, which the gateway does not keep',
};

export function inputToMessages(input: string | Item[]): Message[] {
  if (typeof input === 'string') return [{ role: 'user', content: [{ type: 'text', text: input }] }];
  const out: Message[] = [];
  input.forEach((item, i) => {
    const at = `input[${i}]`;
    const type = item.type ?? 'message';
    if (type === 'message') out.push(messageItem(item, at));
    else if (type === 'function_call') addToolCall(out, item, at);
    else if (type === 'function_call_output') out.push({ role: 'tool', toolCallId: text(item.call_id, `${at}.call_id`), text: outputText(item.output, `${at}.output`) });
    else {
      const why = STATELESS_ITEMS[String(type)] ?? `input items of type '${String(type)}' are not supported by the gateway`;
      throw new InvalidRequestError(`${at}: ${why}.`, { param: `${at}.type`, code: 'unsupported_parameter' });
    }
  });
  return out;
}

function messageItem(item: Item, at: string): Message {
  const role = item.role;
  const content = item.content;
  if (role === 'user') return { role: 'user', content: userParts(content, `${at}.content`) };
  if (role === 'system' || role === 'developer') return { role: 'system', text: joinedText(content, `${at}.content`, ['input_text']) };
  if (role === 'assistant') return { role: 'assistant', text: joinedText(content, `${at}.content`, ['output_text', 'input_text', 'refusal']) };
  throw bad(`Invalid value for '${at}.role': must be one of "user", "assistant", "system", "developer".`, `${at}.role`);
}

function parts(content: unknown, param: string): Item[] {
  if (!Array.isArray(content) || content.length === 0) throw bad(`'${param}' must be a string or a non-empty list of content parts.`, param);
  return content.map((p, j) => {
    if (typeof p !== 'object' || p === null) throw bad(`Invalid value for '${param}[${j}]': expected an object.`, `${param}[${j}]`);
    return p as Item;
  });
}

function joinedText(content: unknown, param: string, allowed: string[]): string {
  if (typeof content === 'string') return content;
  return parts(content, param)
    .map((p, j) => {
      if (!allowed.includes(String(p.type))) throw bad(`'${param}[${j}]': parts of type '${String(p.type)}' are not allowed here (expected ${allowed.join(' or ')}).`, `${param}[${j}].type`);
      return text(p.type === 'refusal' ? p.refusal : p.text, `${param}[${j}].${p.type === 'refusal' ? 'refusal' : 'text'}`);
    })
    .join('');
}

function userParts(content: unknown, param: string): ContentPart[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  return parts(content, param).map((p, j): ContentPart => {
    const at = `${param}[${j}]`;
    if (p.type === 'input_text') return { type: 'text', text: text(p.text, `${at}.text`) };
    if (p.type === 'input_image') return imagePart(p, at);
    throw new InvalidRequestError(`'${at}': content parts of type '${String(p.type)}' are not supported by the gateway.`, { param: `${at}.type`, code: 'unsupported_parameter' });
  });
}

function imagePart(p: Item, at: string): ContentPart {
  if (p.file_id != null) throw new InvalidRequestError(`'${at}': file_id images need OpenAI's file store; send image_url.`, { param: `${at}.file_id`, code: 'unsupported_parameter' });
  const url = text(p.image_url, `${at}.image_url`);
  if (!/^(https?:|data:image\/[a-z0-9.+-]+;base64,)/i.test(url)) throw bad(`'${at}.image_url' must be an http(s) URL or a base64 data: URL.`, `${at}.image_url`);
  const detail = p.detail;
  if (detail === 'low' || detail === 'high' || detail === 'auto') return { type: 'image', url, detail };
  return { type: 'image', url };
}

/** A function_call item joins the assistant turn right before it, or starts one. */
function addToolCall(out: Message[], item: Item, at: string): void {
  const call = { id: text(item.call_id, `${at}.call_id`), name: text(item.name, `${at}.name`), arguments: text(item.arguments, `${at}.arguments`) };
  const last = out.at(-1);
  if (last?.role === 'assistant') (last.toolCalls ??= []).push(call);
  else out.push({ role: 'assistant', text: null, toolCalls: [call] });
}

function outputText(output: unknown, param: string): string {
  if (typeof output === 'string') return output;
  return joinedText(output, param, ['input_text']);
}
