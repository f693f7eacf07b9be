import type { ChatRequest, FinishReason, ToolCall, Usage } from '../../canonical/index.js';
import type { GatewayError } from '../../errors.js';
import type { StreamIdentity } from '../../pipeline/dialect.js';

/** Responses API objects (response, output items, usage) from canonical parts. */

export type Status = 'in_progress' | 'completed' | 'incomplete' | 'failed';

/** How a finish reason ends a response: status and, when incomplete, why. */
const ENDINGS: Readonly<Record<FinishReason, { status: Status; reason?: string }>> = {
  stop: { status: 'completed' },
  tool_calls: { status: 'completed' },
  length: { status: 'incomplete', reason: 'max_output_tokens' },
  content_filter: { status: 'incomplete', reason: 'content_filter' },
};

export function endingOf(finish: FinishReason | undefined): { status: Status; reason?: string } {
  return ENDINGS[finish ?? 'stop'];
}

export function renderUsage(u: Usage | undefined): Record<string, unknown> | null {
  if (!u) return null;
  return {
    input_tokens: u.promptTokens,
    input_tokens_details: { cached_tokens: u.cachedPromptTokens },
    output_tokens: u.completionTokens,
    output_tokens_details: { reasoning_tokens: u.reasoningTokens },
    total_tokens: u.promptTokens + u.completionTokens,
  };
}

/** Item ids are derived from the response id, so a replay names its items as the original did. */
export const messageItemId = (ident: StreamIdentity, n: number) => `msg_${ident.id.slice(5)}${n ? `_${n}` : ''}`;
export const callItemId = (ident: StreamIdentity, n: number) => `fc_${ident.id.slice(5)}_${n}`;
export const reasoningItemId = (ident: StreamIdentity) => `rs_${ident.id.slice(5)}`;

/** The model's reasoning as a summary: one summary_text part per thinking block. */
export function reasoningItem(id: string, summaries: string[], status: Status): Record<string, unknown> {
  return { id, type: 'reasoning', status, summary: summaries.map((text) => ({ type: 'summary_text', text })) };
}

export type ContentPart = { type: 'output_text'; text: string; annotations: []; logprobs: [] } | { type: 'refusal'; refusal: string };

export const textPart = (text: string): ContentPart => ({ type: 'output_text', text, annotations: [], logprobs: [] });
export const refusalPart = (refusal: string): ContentPart => ({ type: 'refusal', refusal });

export function messageItem(id: string, content: ContentPart[], status: Status): Record<string, unknown> {
  return { id, type: 'message', status, role: 'assistant', content };
}

export function callItem(id: string, call: ToolCall, status: Status): Record<string, unknown> {
  return { id, type: 'function_call', status, arguments: call.arguments, call_id: call.id, name: call.name };
}

export interface Outcome {
  status: Status;
  output: Record<string, unknown>[];
  usage: Usage | undefined;
  incompleteReason?: string;
  error?: GatewayError;
}

/** The whole response object; the request's settings are echoed as OpenAI echoes them. */
export function renderResponse(ident: StreamIdentity, req: ChatRequest, o: Outcome): Record<string, unknown> {
  const p = req.params;
  const first = req.messages[0];
  const f = req.responseFormat;
  const format = !f ? { type: 'text' } : f.type === 'json_schema' ? { type: 'json_schema', name: f.name, schema: f.schema, strict: f.strict ?? null, ...(f.description !== undefined ? { description: f.description } : {}) } : { type: f.type };
  const choice = req.toolChoice;
  return {
    id: ident.id,
    object: 'response',
    created_at: ident.created,
    status: o.status,
    background: false,
    error: o.error ? { code: o.error.code ?? o.error.kind, message: o.error.message } : null,
    incomplete_details: o.incompleteReason ? { reason: o.incompleteReason } : null,
    instructions: first?.role === 'system' ? first.text : null,
    max_output_tokens: p.maxTokens ?? null,
    model: ident.model,
    output: o.output,
    parallel_tool_calls: p.parallelToolCalls ?? true,
    previous_response_id: null,
    reasoning: { effort: p.reasoningEffort ?? null, summary: p.reasoningSummary ? 'auto' : null },
    store: false,
    temperature: p.temperature ?? 1,
    text: { format },
    tool_choice: choice === undefined ? 'auto' : typeof choice === 'string' ? choice : { type: 'function', name: choice.name },
    tools: (req.tools ?? []).map((t) => ({ type: 'function', name: t.name, description: t.description ?? null, parameters: t.parameters ?? null, strict: t.strict ?? null })),
    top_p: p.topP ?? 1,
    truncation: 'disabled',
    usage: renderUsage(o.usage),
    user: p.user ?? null,
    metadata: (req.extra?.metadata as Record<string, string> | undefined) ?? {},
  };
}
