import type { ChatParams, ChatRequest, ContentPart, Message, ResponseFormat, ToolChoice, ToolDefinition } from '../../canonical/index.js';
import { InvalidRequestError } from '../../errors.js';
import { checkToolResults } from '../tool-results.js';
import { compileValidator } from '../validation.js';
import { chatCompletionSchema, KNOWN_CHAT_FIELDS } from './schemas.js';

/* Wire types as the schema guarantees them. */
interface WirePart {
  type: 'text' | 'image_url' | 'input_audio' | 'file' | 'refusal';
  text?: string;
  refusal?: string;
  image_url?: string | { url: string; detail?: 'auto' | 'low' | 'high' };
}
interface WireMessage {
  role: 'system' | 'developer' | 'user' | 'assistant' | 'tool' | 'function';
  content?: string | WirePart[] | null;
  name?: string;
  tool_calls?: { id: string; function: { name: string; arguments: string } }[] | null;
  tool_call_id?: string;
}
interface WireChatBody {
  model: string;
  messages: WireMessage[];
  stream?: boolean | null;
  stream_options?: { include_usage?: boolean } | null;
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  n?: number | null;
  stop?: string | string[] | null;
  seed?: number | null;
  presence_penalty?: number | null;
  frequency_penalty?: number | null;
  logit_bias?: Record<string, number> | null;
  logprobs?: boolean | null;
  top_logprobs?: number | null;
  user?: string;
  tools?: { function: { name: string; description?: string; parameters?: Record<string, unknown>; strict?: boolean | null } }[] | null;
  tool_choice?: 'none' | 'auto' | 'required' | { function: { name: string } } | null;
  parallel_tool_calls?: boolean | null;
  response_format?: { type: 'text' | 'json_object' | 'json_schema'; json_schema?: { name: string; description?: string; schema?: Record<string, unknown>; strict?: boolean | null } } | null;
  reasoning_effort?: 'minimal' | 'low' | 'medium' | 'high' | null;
  [extra: string]: unknown;
}

const validateChat = compileValidator<WireChatBody>(chatCompletionSchema);

/** Validates an OpenAI chat-completions body and converts it to the canonical request. */
export function parseChatCompletionRequest(body: unknown): ChatRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidRequestError('The request body must be a JSON object.');
  }
  const b = validateChat(body);
  const stream = b.stream === true;
  const messages = b.messages.map(toCanonicalMessage);
  checkToolResults(messages, (i) => `messages[${i}].tool_call_id`);

  const params: ChatParams = {};
  const maxTokens = b.max_completion_tokens ?? b.max_tokens;
  if (maxTokens != null) params.maxTokens = maxTokens;
  if (b.temperature != null) params.temperature = b.temperature;
  if (b.top_p != null) params.topP = b.top_p;
  if (b.stop != null) {
    const stop = typeof b.stop === 'string' ? [b.stop] : b.stop;
    if (stop.length > 0) params.stop = stop;
  }
  if (b.n != null && b.n !== 1) params.n = b.n;
  if (b.seed != null) params.seed = b.seed;
  if (b.presence_penalty != null) params.presencePenalty = b.presence_penalty;
  if (b.frequency_penalty != null) params.frequencyPenalty = b.frequency_penalty;
  if (b.logit_bias != null && Object.keys(b.logit_bias).length > 0) params.logitBias = b.logit_bias;
  if (b.logprobs != null && b.logprobs) params.logprobs = true;
  if (b.top_logprobs != null) {
    if (!b.logprobs) throw new InvalidRequestError("'top_logprobs' requires 'logprobs' to be true.", { param: 'top_logprobs' });
    params.topLogprobs = b.top_logprobs;
  }
  if (b.user !== undefined) params.user = b.user;
  if (b.reasoning_effort != null) params.reasoningEffort = b.reasoning_effort;
  if (b.parallel_tool_calls != null) params.parallelToolCalls = b.parallel_tool_calls;

  const req: ChatRequest = {
    model: b.model,
    messages,
    stream,
    includeUsage: stream && b.stream_options?.include_usage === true,
    params,
    wire: { format: 'openai', body: b },
  };
  if (b.max_completion_tokens != null) req.maxTokensField = 'max_completion_tokens';
  else if (b.max_tokens != null) req.maxTokensField = 'max_tokens';

  if (b.tools && b.tools.length > 0) req.tools = b.tools.map(toCanonicalTool);
  if (b.tool_choice != null) req.toolChoice = toCanonicalToolChoice(b.tool_choice, req.tools);
  if (b.response_format != null && b.response_format.type !== 'text') req.responseFormat = toCanonicalResponseFormat(b.response_format);

  let extra: Record<string, unknown> | undefined;
  for (const key in b) {
    if (!KNOWN_CHAT_FIELDS.has(key) && b[key] !== undefined && b[key] !== null) (extra ??= {})[key] = b[key];
  }
  if (extra) req.extra = extra;
  return req;
}

function textOf(content: string | WirePart[] | null | undefined, where: string): string {
  if (content == null) return '';
  if (typeof content === 'string') return content;
  let out = '';
  for (const p of content) {
    if (p.type !== 'text') throw new InvalidRequestError(`${where} may contain only text parts; got '${p.type}'.`, { param: 'messages' });
    out += out ? `\n${p.text ?? ''}` : (p.text ?? '');
  }
  return out;
}

function toCanonicalMessage(m: WireMessage, i: number): Message {
  switch (m.role) {
    case 'system':
    case 'developer':
      return { role: 'system', text: textOf(m.content, `messages[${i}] (${m.role})`) };
    case 'user': {
      const content = userContent(m.content, i);
      return m.name ? { role: 'user', content, name: m.name } : { role: 'user', content };
    }
    case 'assistant': {
      let text: string | null = null;
      if (typeof m.content === 'string') text = m.content;
      else if (Array.isArray(m.content)) {
        text = m.content.map((p) => (p.type === 'text' ? (p.text ?? '') : p.type === 'refusal' ? (p.refusal ?? '') : '')).join('');
      }
      const out: Message = { role: 'assistant', text };
      if (m.tool_calls && m.tool_calls.length > 0) {
        out.toolCalls = m.tool_calls.map((c) => ({ id: c.id, name: c.function.name, arguments: c.function.arguments }));
      }
      if (m.name) out.name = m.name;
      if (text === null && !out.toolCalls) out.text = '';
      return out;
    }
    case 'tool':
      if (!m.tool_call_id) throw new InvalidRequestError(`Missing required parameter: 'messages[${i}].tool_call_id'.`, { param: `messages[${i}].tool_call_id` });
      return { role: 'tool', toolCallId: m.tool_call_id, text: textOf(m.content, `messages[${i}] (tool)`) };
    case 'function':
      throw new InvalidRequestError(`messages[${i}]: the deprecated 'function' role is not supported; use tools and 'tool' messages.`, {
        param: `messages[${i}].role`,
      });
  }
}

function userContent(content: string | WirePart[] | null | undefined, i: number): ContentPart[] {
  if (content == null) throw new InvalidRequestError(`Missing required parameter: 'messages[${i}].content'.`, { param: `messages[${i}].content` });
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  if (content.length === 0) throw new InvalidRequestError(`'messages[${i}].content' must not be empty.`, { param: `messages[${i}].content` });
  return content.map((p, j): ContentPart => {
    if (p.type === 'text') return { type: 'text', text: p.text ?? '' };
    if (p.type === 'image_url' && p.image_url !== undefined) {
      const img = typeof p.image_url === 'string' ? { url: p.image_url } : p.image_url;
      if (!/^(https?:|data:image\/[a-z0-9.+-]+;base64,)/i.test(img.url)) {
        throw new InvalidRequestError(`messages[${i}].content[${j}]: image_url.url must be an http(s) URL or a base64 data: URL.`, {
          param: `messages[${i}].content[${j}].image_url.url`,
        });
      }
      return img.detail ? { type: 'image', url: img.url, detail: img.detail } : { type: 'image', url: img.url };
    }
    throw new InvalidRequestError(`messages[${i}].content[${j}]: content parts of type '${p.type}' are not supported by the gateway.`, {
      param: `messages[${i}].content[${j}].type`,
    });
  });
}

function toCanonicalTool(t: NonNullable<WireChatBody['tools']>[number]): ToolDefinition {
  const out: ToolDefinition = { name: t.function.name };
  if (t.function.description !== undefined) out.description = t.function.description;
  if (t.function.parameters !== undefined) out.parameters = t.function.parameters;
  if (t.function.strict != null) out.strict = t.function.strict;
  return out;
}

function toCanonicalToolChoice(c: NonNullable<WireChatBody['tool_choice']>, tools: ToolDefinition[] | undefined): ToolChoice {
  if (typeof c === 'string') {
    if (c === 'required' && !tools) throw new InvalidRequestError("tool_choice 'required' needs at least one tool.", { param: 'tool_choice' });
    return c;
  }
  if (!tools?.some((t) => t.name === c.function.name)) {
    throw new InvalidRequestError(`tool_choice names '${c.function.name}', which is not among the tools.`, { param: 'tool_choice' });
  }
  return { name: c.function.name };
}

function toCanonicalResponseFormat(f: NonNullable<WireChatBody['response_format']>): ResponseFormat {
  if (f.type === 'json_object') return { type: 'json_object' };
  if (f.type === 'json_schema') {
    const js = f.json_schema;
    if (!js?.schema) throw new InvalidRequestError("response_format 'json_schema' needs json_schema.name and json_schema.schema.", { param: 'response_format.json_schema' });
    const out: ResponseFormat = { type: 'json_schema', name: js.name, schema: js.schema };
    if (js.strict != null) out.strict = js.strict;
    if (js.description !== undefined) out.description = js.description;
    return out;
  }
  return { type: 'text' };
}
