import type { ChatRequest, ReasoningEffort, ResponseFormat, ToolChoice, ToolDefinition } from '../../canonical/index.js';
import { InvalidRequestError } from '../../errors.js';
import type { WireResponsesBody, WireTextFormat, WireTool } from './schema.js';

/** What a Responses body is read into: the canonical request, and the parts assembled after the walk. */
export interface Draft {
  req: ChatRequest;
  instructions?: string;
  input?: WireResponsesBody['input'];
}

/**
 * How the gateway treats one top-level Responses field: `apply` writes it into the draft;
 * `unsupported` says why it cannot be honoured (→ 400 naming the field). A field absent from the
 * table is unknown (→ 400, as OpenAI answers). `null` means "not given" for every field.
 */
export type FieldRule =
  | { apply: (value: never, d: Draft) => void }
  | { unsupported: true | string | ((value: never) => string | undefined); apply?: (value: never, d: Draft) => void };

const STATELESS = 'the gateway does not keep responses (store: false semantics); send the whole conversation in `input`';

/** Fields OpenAI Chat Completions accepts under the same meaning: carried as ChatRequest.extra (OpenAI forwards them, other providers answer 400). */
const asExtra =
  (chatName: string) =>
  (value: unknown, d: Draft): void => {
    (d.req.extra ??= {})[chatName] = value;
  };

export const RESPONSES_FIELDS: Readonly<Record<string, FieldRule>> = {
  model: { apply: () => undefined },
  input: { apply: (v: Draft['input'], d) => void (d.input = v) },
  instructions: { apply: (v: string, d) => void (d.instructions = v) },
  stream: { apply: (v: boolean, d) => void (d.req.stream = v) },
  // Obfuscation pads deltas against length side channels; the gateway's streams do not add the padding field.
  stream_options: { apply: () => undefined },
  max_output_tokens: { apply: (v: number, d) => void (d.req.params.maxTokens = v) },
  temperature: { apply: (v: number, d) => void (d.req.params.temperature = v) },
  top_p: { apply: (v: number, d) => void (d.req.params.topP = v) },
  parallel_tool_calls: { apply: (v: boolean, d) => void (d.req.params.parallelToolCalls = v) },
  user: { apply: (v: string, d) => void (d.req.params.user = v) },
  safety_identifier: { apply: asExtra('safety_identifier') },
  prompt_cache_key: { apply: asExtra('prompt_cache_key') },
  prompt_cache_retention: { apply: asExtra('prompt_cache_retention') },
  service_tier: { apply: asExtra('service_tier') },
  metadata: { apply: asExtra('metadata') },
  reasoning: {
    unsupported: (r: NonNullable<WireResponsesBody['reasoning']>) =>
      r.effort === 'none' || r.effort === 'xhigh' ? `reasoning.effort '${r.effort}' is not supported; use minimal, low, medium or high` : undefined,
    apply: (r: NonNullable<WireResponsesBody['reasoning']>, d) => {
      if (r.effort) d.req.params.reasoningEffort = r.effort as ReasoningEffort;
      // Whichever detail is asked for, the summary is the provider's reasoning as it gave it.
      if (r.summary || r.generate_summary) d.req.params.reasoningSummary = true;
    },
  },
  text: {
    apply: (t: NonNullable<WireResponsesBody['text']>, d) => {
      if (t.format && t.format.type !== 'text') d.req.responseFormat = toResponseFormat(t.format);
      if (t.verbosity != null) asExtra('verbosity')(t.verbosity, d);
    },
  },
  tools: { apply: (tools: WireTool[], d) => void (tools.length > 0 && (d.req.tools = tools.map(toTool))) },
  tool_choice: { apply: (c: NonNullable<WireResponsesBody['tool_choice']>, d) => void (d.req.toolChoice = toToolChoice(c, d.req.tools)) },
  store: { unsupported: (v: boolean) => (v ? STATELESS : undefined) },
  previous_response_id: { unsupported: STATELESS },
  conversation: { unsupported: STATELESS },
  background: { unsupported: (v: boolean) => (v ? 'background responses need stored responses, which the gateway does not keep' : undefined) },
  truncation: { unsupported: (v: string) => (v === 'auto' ? "the gateway does not truncate conversations; use 'disabled'" : undefined) },
  include: { unsupported: (v: string[]) => (v.length > 0 ? `'${v[0]}' cannot be included by the gateway` : undefined) },
  top_logprobs: { unsupported: 'log probabilities are not returned through the Responses ingress; use /v1/chat/completions' },
  max_tool_calls: { unsupported: 'the gateway runs no built-in tools' },
  prompt: { unsupported: 'stored prompt templates are not available through the gateway' },
  context_management: { unsupported: 'server-side compaction needs stored responses, which the gateway does not keep' },
  moderation: { unsupported: true },
  prompt_cache_options: { unsupported: true },
};

function toTool(t: WireTool, i: number): ToolDefinition {
  if (t.type !== 'function') {
    throw new InvalidRequestError(`tools[${i}]: tools of type '${t.type}' are not supported by the gateway; only 'function' tools are.`, {
      param: `tools[${i}].type`,
      code: 'unsupported_parameter',
    });
  }
  if (!t.name) throw new InvalidRequestError(`Missing required parameter: 'tools[${i}].name'.`, { param: `tools[${i}].name` });
  const out: ToolDefinition = { name: t.name };
  if (t.description != null) out.description = t.description;
  if (t.parameters != null) out.parameters = t.parameters;
  if (t.strict != null) out.strict = t.strict;
  return out;
}

function toToolChoice(c: NonNullable<WireResponsesBody['tool_choice']>, tools: ToolDefinition[] | undefined): ToolChoice {
  if (typeof c === 'string') {
    if (c === 'required' && !tools) throw new InvalidRequestError("tool_choice 'required' needs at least one tool.", { param: 'tool_choice' });
    return c;
  }
  if (c.type !== 'function') {
    throw new InvalidRequestError(`tool_choice of type '${c.type}' is not supported by the gateway; use 'auto', 'none', 'required' or a function.`, {
      param: 'tool_choice.type',
      code: 'unsupported_parameter',
    });
  }
  if (!c.name || !tools?.some((t) => t.name === c.name)) {
    throw new InvalidRequestError(`tool_choice names '${c.name ?? ''}', which is not among the tools.`, { param: 'tool_choice.name' });
  }
  return { name: c.name };
}

function toResponseFormat(f: WireTextFormat): ResponseFormat {
  if (f.type === 'json_object') return { type: 'json_object' };
  if (!f.name || !f.schema) {
    throw new InvalidRequestError("text.format 'json_schema' needs a name and a schema.", { param: f.name ? 'text.format.schema' : 'text.format.name' });
  }
  const out: ResponseFormat = { type: 'json_schema', name: f.name, schema: f.schema };
  if (f.strict != null) out.strict = f.strict;
  if (f.description !== undefined) out.description = f.description;
  return out;
}
