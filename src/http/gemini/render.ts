import type { ChatChoice, FinishReason, ToolCall, Usage } from '../../canonical/index.js';
import type { StreamIdentity } from '../../pipeline/dialect.js';

/** Gemini GenerateContentResponse pieces from canonical parts. */

const FINISH: Readonly<Record<FinishReason, string>> = {
  stop: 'STOP',
  // Gemini ends a turn that calls functions with STOP too.
  tool_calls: 'STOP',
  length: 'MAX_TOKENS',
  content_filter: 'SAFETY',
};
export const finishOf = (f: FinishReason) => FINISH[f];

/** Gemini counts thoughts apart from the candidates; the canonical completion count includes them. */
export function renderUsageMetadata(u: Usage): Record<string, number> {
  const out: Record<string, number> = {
    promptTokenCount: u.promptTokens,
    candidatesTokenCount: u.completionTokens - u.reasoningTokens,
    totalTokenCount: u.promptTokens + u.completionTokens,
  };
  if (u.cachedPromptTokens) out.cachedContentTokenCount = u.cachedPromptTokens;
  if (u.reasoningTokens) out.thoughtsTokenCount = u.reasoningTokens;
  return out;
}

/** Arguments are JSON text in the canonical form and an object on Gemini's wire. */
function argsOf(text: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(text || '{}');
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // A provider produced arguments that are not a JSON object: relay them as one string field.
  }
  return { arguments: text };
}

export const functionCallPart = (t: ToolCall) => ({ functionCall: { id: t.id, name: t.name, args: argsOf(t.arguments) } });

export function candidateOf(c: ChatChoice): Record<string, unknown> {
  const parts: Record<string, unknown>[] = [];
  if (c.text || c.refusal || !c.toolCalls?.length) parts.push({ text: (c.text ?? '') + (c.refusal ?? '') });
  for (const t of c.toolCalls ?? []) parts.push(functionCallPart(t));
  return { content: { role: 'model', parts }, finishReason: finishOf(c.finishReason), index: c.index };
}

export function responseEnvelope(ident: StreamIdentity, fields: Record<string, unknown>): Record<string, unknown> {
  return { ...fields, modelVersion: ident.model, responseId: ident.id };
}
