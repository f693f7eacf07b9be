import type { ChatChoice, ChatResponse, FinishReason, Usage } from '../../canonical/index.js';
import type { StreamIdentity } from '../../pipeline/dialect.js';

/** Canonical finish → Anthropic stop_reason ('stop' with a stop sequence is 'stop_sequence'). */
const STOP_REASON: Readonly<Record<FinishReason, string>> = {
  stop: 'end_turn',
  length: 'max_tokens',
  tool_calls: 'tool_use',
  content_filter: 'refusal',
};

export function stopReasonOf(finish: FinishReason, stopSequence: string | undefined): string {
  return finish === 'stop' && stopSequence ? 'stop_sequence' : STOP_REASON[finish];
}

/**
 * Canonical usage → Anthropic's: its input_tokens leave out cache reads and cache writes, which
 * the canonical prompt count includes (canonical/response.ts).
 */
export function renderUsage(u: Usage): Record<string, unknown> {
  const out: Record<string, unknown> = {
    input_tokens: Math.max(0, u.promptTokens - u.cachedPromptTokens - u.cacheWriteTokens),
    cache_creation_input_tokens: u.cacheWriteTokens,
    cache_read_input_tokens: u.cachedPromptTokens,
    output_tokens: u.completionTokens,
  };
  if (u.reasoningTokens > 0) out.output_tokens_details = { thinking_tokens: u.reasoningTokens };
  return out;
}

/** The content blocks of one answer, in Anthropic's order: thinking, text, tool uses. */
export function contentOf(c: ChatChoice): Record<string, unknown>[] {
  const content: Record<string, unknown>[] = (c.thinking ?? []).map((t) => ({ ...t }));
  const text = c.text ?? (c.refusal || '');
  if (text || !c.toolCalls?.length) content.push({ type: 'text', text });
  for (const t of c.toolCalls ?? []) content.push({ type: 'tool_use', id: t.id, name: t.name, input: toolInput(t.arguments) });
  return content;
}

/** Anthropic sends tool input as an object; arguments that are not a JSON object (a model's slip) travel as a string value. */
function toolInput(args: string): unknown {
  if (args.trim() === '') return {};
  try {
    const v = JSON.parse(args) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? v : { value: v };
  } catch {
    return { _raw: args };
  }
}

/** Canonical response → an Anthropic message (the provider's own body when Anthropic answered). */
export function renderMessage(resp: ChatResponse, usage: Usage, ident: StreamIdentity): string {
  if (resp.raw?.format === 'anthropic') return resp.raw.text;
  const c = resp.choices[0] ?? { index: 0, text: '', finishReason: 'stop' as const };
  return JSON.stringify({
    id: ident.id,
    type: 'message',
    role: 'assistant',
    model: ident.model,
    content: contentOf(c),
    stop_reason: stopReasonOf(c.finishReason, c.stopSequence),
    stop_sequence: c.finishReason === 'stop' ? (c.stopSequence ?? null) : null,
    usage: renderUsage(usage),
  });
}
