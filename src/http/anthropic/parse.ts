import type { IncomingHttpHeaders } from 'node:http';
import type { ChatParams, ChatRequest, ReasoningEffort, ToolChoice, ToolDefinition } from '../../canonical/index.js';
import { InvalidRequestError } from '../../errors.js';
import { parseConversation } from './messages.js';

/**
 * POST /v1/messages body → canonical request. Every top-level field the Messages API takes is
 * declared below: read into the canonical form, accepted as a hint, or Anthropic-only (forwarded
 * to Anthropic as written, a 400 from any other provider). Anything else is refused, as Anthropic
 * refuses it.
 */

type Body = Record<string, unknown>;

interface Draft {
  params: ChatParams;
  tools?: ToolDefinition[];
  toolChoice?: ToolChoice;
  responseFormat?: ChatRequest['responseFormat'];
  unmodelled: string[];
}

type FieldRule =
  /** Read into the canonical request (after checking it). */
  | { read: (value: unknown, d: Draft, body: Body) => void }
  /** Read elsewhere (model, messages, system, stream). */
  | { structural: true }
  /** Honoured by Anthropic only; any other provider answers 400. */
  | { anthropicOnly: true }
  /** A prompt-caching hint: Anthropic is sent it, the other providers cache prompts on their own. */
  | { hint: true };

function bad(param: string, message: string): InvalidRequestError {
  return new InvalidRequestError(`${param}: ${message}`, { param });
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function num(param: string, v: unknown, min: number, max: number, integer = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    throw bad(param, `Input should be ${integer ? 'an integer' : 'a number'} between ${min} and ${max === Infinity ? '∞' : max}`);
  }
  return v;
}

/** output_config.effort values the canonical reasoning effort covers; the higher ones only Anthropic has. */
const EFFORTS: Readonly<Record<string, ReasoningEffort>> = { low: 'low', medium: 'medium', high: 'high' };

const FIELDS: Readonly<Record<string, FieldRule>> = {
  model: { structural: true },
  messages: { structural: true },
  system: { structural: true },
  stream: { structural: true },
  max_tokens: { read: (v, d) => (d.params.maxTokens = num('max_tokens', v, 1, Infinity, true)) },
  temperature: { read: (v, d) => (d.params.temperature = num('temperature', v, 0, 1)) },
  top_p: { read: (v, d) => (d.params.topP = num('top_p', v, 0, 1)) },
  top_k: { read: (v, d) => (d.params.topK = num('top_k', v, 0, Infinity, true)) },
  stop_sequences: {
    read: (v, d) => {
      if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) throw bad('stop_sequences', 'Input should be a valid list of strings');
      if (v.length > 0) d.params.stop = v as string[];
    },
  },
  metadata: {
    read: (v, d) => {
      if (!isObject(v)) throw bad('metadata', 'Input should be an object');
      if (v.user_id != null) {
        if (typeof v.user_id !== 'string' || v.user_id.length > 256) throw bad('metadata.user_id', 'String should have at most 256 characters');
        d.params.user = v.user_id;
      }
    },
  },
  tools: { read: (v, d) => readTools(v, d) },
  tool_choice: { read: (v, d, body) => readToolChoice(v, d, body) },
  thinking: { read: (v, d) => readThinking(v, d) },
  output_config: { read: (v, d) => readOutputConfig(v, d) },
  cache_control: { hint: true },
  service_tier: { anthropicOnly: true },
  container: { anthropicOnly: true },
  mcp_servers: { anthropicOnly: true },
  context_management: { anthropicOnly: true },
  inference_geo: { anthropicOnly: true },
  speed: { anthropicOnly: true },
  diagnostics: { anthropicOnly: true },
  user_profile_id: { anthropicOnly: true },
  workspace_id: { anthropicOnly: true },
};

function readTools(v: unknown, d: Draft): void {
  if (!Array.isArray(v)) throw bad('tools', 'Input should be a valid list');
  const tools: ToolDefinition[] = [];
  v.forEach((t, i) => {
    if (!isObject(t)) throw bad(`tools.${i}`, 'Input should be an object');
    // Server and versioned tools (web search, code execution, …) carry a type; only Anthropic runs them.
    if (t.type !== undefined && t.type !== 'custom') {
      d.unmodelled.push(`tools.${i}.type=${String(t.type)}`);
      return;
    }
    if (typeof t.name !== 'string' || !/^[a-zA-Z0-9_-]{1,128}$/.test(t.name)) throw bad(`tools.${i}.name`, "String should match pattern '^[a-zA-Z0-9_-]{1,128}$'");
    if (!isObject(t.input_schema)) throw bad(`tools.${i}.input_schema`, 'Field required');
    const tool: ToolDefinition = { name: t.name, parameters: t.input_schema };
    if (typeof t.description === 'string') tool.description = t.description;
    if (typeof t.strict === 'boolean') tool.strict = t.strict;
    tools.push(tool);
  });
  if (tools.length > 0) d.tools = tools;
}

function readToolChoice(v: unknown, d: Draft, body: Body): void {
  if (!isObject(v)) throw bad('tool_choice', 'Input should be an object');
  if (!Array.isArray(body.tools) || body.tools.length === 0) throw bad('tool_choice', 'tool_choice may only be specified while providing tools');
  switch (v.type) {
    case 'auto':
    case 'none':
      d.toolChoice = v.type;
      break;
    case 'any':
      d.toolChoice = 'required';
      break;
    case 'tool':
      if (typeof v.name !== 'string' || !d.tools?.some((t) => t.name === v.name)) throw bad('tool_choice.name', `Tool '${String(v.name)}' not found in the provided tools`);
      d.toolChoice = { name: v.name };
      break;
    default:
      throw bad('tool_choice.type', "Input should be 'auto', 'any', 'tool' or 'none'");
  }
  if (v.disable_parallel_tool_use === true && v.type !== 'none') d.params.parallelToolCalls = false;
}

function readThinking(v: unknown, d: Draft): void {
  if (!isObject(v)) throw bad('thinking', 'Input should be an object');
  switch (v.type) {
    case 'enabled':
      d.params.thinkingBudget = num('thinking.budget_tokens', v.budget_tokens, 1024, Infinity, true);
      return;
    case 'disabled':
    // The model decides whether and how much to think: what every provider does by default.
    case 'adaptive':
      return;
    default:
      d.unmodelled.push(`thinking.type=${String(v.type)}`);
  }
}

function readOutputConfig(v: unknown, d: Draft): void {
  if (!isObject(v)) throw bad('output_config', 'Input should be an object');
  if (v.effort != null) {
    const effort = EFFORTS[String(v.effort)];
    if (effort) d.params.reasoningEffort = effort;
    else d.unmodelled.push(`output_config.effort=${String(v.effort)}`);
  }
  if (v.format != null) {
    const f = v.format as Record<string, unknown>;
    if (!isObject(f) || f.type !== 'json_schema' || !isObject(f.schema)) throw bad('output_config.format', "Input should be { type: 'json_schema', schema }");
    d.responseFormat = { type: 'json_schema', name: 'output', schema: f.schema };
  }
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

/** `countTokens`: the body of POST /v1/messages/count_tokens, which has no max_tokens. */
export function parseMessagesRequest(body: unknown, headers: IncomingHttpHeaders, opts: { countTokens?: boolean } = {}): ChatRequest {
  if (!isObject(body)) throw new InvalidRequestError('The request body must be a JSON object.');
  const d: Draft = { params: {}, unmodelled: [] };
  for (const key of Object.keys(body)) if (!FIELDS[key]) throw bad(key, 'Extra inputs are not permitted');
  // In the table's order, so tools are known before tool_choice names one.
  for (const [key, rule] of Object.entries(FIELDS)) {
    const value = body[key];
    if (value === undefined || value === null || 'structural' in rule || 'hint' in rule) continue;
    if ('anthropicOnly' in rule) d.unmodelled.push(key);
    else rule.read(value, d, body);
  }
  if (typeof body.model !== 'string' || !body.model) throw bad('model', 'Field required');
  if (body.max_tokens === undefined && !opts.countTokens) throw bad('max_tokens', 'Field required');
  if (body.stream != null && typeof body.stream !== 'boolean') throw bad('stream', 'Input should be a valid boolean');
  const conversation = parseConversation(body.system ?? undefined, body.messages);

  const stream = body.stream === true;
  const wireHeaders: Record<string, string> = {};
  for (const name of ['anthropic-version', 'anthropic-beta']) {
    const v = header(headers, name);
    if (v) wireHeaders[name] = v;
  }
  const unmodelled = [...d.unmodelled, ...conversation.unmodelled];
  const req: ChatRequest = {
    model: body.model,
    messages: conversation.messages,
    stream,
    includeUsage: false,
    params: d.params,
    wire: { format: 'anthropic', body, headers: wireHeaders, ...(unmodelled.length > 0 ? { unmodelled } : {}) },
  };
  if (d.tools) req.tools = d.tools;
  if (d.toolChoice) req.toolChoice = d.toolChoice;
  if (d.responseFormat) req.responseFormat = d.responseFormat;
  return req;
}
