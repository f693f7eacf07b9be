import type { ChatRequest, ReasoningEffort } from '../../canonical/index.js';
import { InvalidRequestError } from '../../errors.js';
import { openApiToJsonSchema } from './json-schema.js';

/**
 * Every generationConfig field the gateway knows, and what it becomes in the canonical request.
 * `unsupported` says why a field cannot be honoured (→ 400 naming it); a field missing from the
 * table is unknown (→ 400). responseMimeType and the response schemas are read together
 * afterwards (responseFormatOf).
 */
type Rule = { apply?: (v: never, req: ChatRequest) => void; unsupported?: true | string | ((v: never) => string | undefined) };

/** The smallest effort whose thinking budget covers the asked budget (the Gemini provider's own table). */
const EFFORT_BY_BUDGET: [number, ReasoningEffort][] = [
  [512, 'minimal'],
  [1_024, 'low'],
  [8_192, 'medium'],
];
const THINKING_LEVELS: Readonly<Record<string, ReasoningEffort>> = { MINIMAL: 'minimal', LOW: 'low', MEDIUM: 'medium', HIGH: 'high' };

function thinking(t: { thinkingBudget?: number; includeThoughts?: boolean; thinkingLevel?: string }, req: ChatRequest): void {
  if (t.thinkingLevel !== undefined) req.params.reasoningEffort = THINKING_LEVELS[t.thinkingLevel.toUpperCase()];
  const budget = t.thinkingBudget;
  if (budget !== undefined && budget > 0) req.params.reasoningEffort = EFFORT_BY_BUDGET.find(([b]) => budget <= b)?.[1] ?? 'high';
}

function thinkingUnsupported(t: { thinkingBudget?: number; includeThoughts?: boolean; thinkingLevel?: string }): string | undefined {
  if (t.includeThoughts) return 'thought summaries are not relayed through the gateway; leave includeThoughts off';
  if (t.thinkingBudget === 0) return 'thinking cannot be switched off through the gateway; omit thinkingBudget or give a positive budget';
  if (t.thinkingLevel !== undefined && !THINKING_LEVELS[t.thinkingLevel.toUpperCase()]) return `unknown thinkingLevel '${t.thinkingLevel}'`;
  return undefined;
}

const NOT_TEXT = 'the gateway answers in text only';

export const GENERATION_CONFIG: Readonly<Record<string, Rule>> = {
  temperature: { apply: (v: number, r) => void (r.params.temperature = v) },
  topP: { apply: (v: number, r) => void (r.params.topP = v) },
  topK: { unsupported: 'top-k sampling is not part of the gateway’s common parameters' },
  maxOutputTokens: { apply: (v: number, r) => void (r.params.maxTokens = v) },
  stopSequences: { apply: (v: string[], r) => void (v.length && (r.params.stop = v)) },
  candidateCount: { apply: (v: number, r) => void (v !== 1 && (r.params.n = v)) },
  seed: { apply: (v: number, r) => void (r.params.seed = v) },
  presencePenalty: { apply: (v: number, r) => void (r.params.presencePenalty = v) },
  frequencyPenalty: { apply: (v: number, r) => void (r.params.frequencyPenalty = v) },
  responseLogprobs: { apply: (v: boolean, r) => void (v && (r.params.logprobs = true)) },
  logprobs: { apply: (v: number, r) => void (r.params.topLogprobs = v) },
  responseMimeType: { unsupported: (v: string) => (v === 'text/plain' || v === 'application/json' ? undefined : `responseMimeType '${v}' is not supported; use text/plain or application/json`) },
  responseSchema: {},
  responseJsonSchema: {},
  thinkingConfig: { apply: thinking, unsupported: thinkingUnsupported },
  responseModalities: { unsupported: (v: string[]) => (v.every((m) => m.toUpperCase() === 'TEXT') ? undefined : NOT_TEXT) },
  mediaResolution: { unsupported: 'the gateway sends images at the provider’s default resolution' },
  speechConfig: { unsupported: NOT_TEXT },
  imageConfig: { unsupported: NOT_TEXT },
  audioTimestamp: { unsupported: 'audio input is not supported by the gateway' },
  enableEnhancedCivicAnswers: { unsupported: true },
  routingConfig: { unsupported: 'the gateway routes by its own catalogue' },
  modelSelectionConfig: { unsupported: 'the gateway routes by its own catalogue' },
};

export function applyGenerationConfig(g: Record<string, unknown>, req: ChatRequest): void {
  for (const [key, value] of Object.entries(g)) {
    if (value == null) continue;
    const rule = GENERATION_CONFIG[key];
    const param = `generationConfig.${key}`;
    if (!rule) throw new InvalidRequestError(`Unknown parameter: '${param}'.`, { param, code: 'unknown_parameter' });
    const why = typeof rule.unsupported === 'function' ? rule.unsupported(value as never) : rule.unsupported;
    if (why) throw new InvalidRequestError(`Parameter '${param}' is not supported by the gateway${typeof why === 'string' ? `: ${why}.` : '.'}`, { param, code: 'unsupported_parameter' });
    rule.apply?.(value as never, req);
  }
  if (req.params.topLogprobs !== undefined && !req.params.logprobs) {
    throw new InvalidRequestError("'generationConfig.logprobs' requires responseLogprobs to be true.", { param: 'generationConfig.logprobs' });
  }
  responseFormatOf(g, req);
}

/** JSON mode: application/json alone, or with a schema (responseJsonSchema as is, responseSchema converted). */
function responseFormatOf(g: Record<string, unknown>, req: ChatRequest): void {
  const schema = (g.responseJsonSchema as Record<string, unknown> | undefined) ?? (g.responseSchema ? openApiToJsonSchema(g.responseSchema as Record<string, unknown>) : undefined);
  if (g.responseMimeType !== 'application/json') {
    if (schema) throw new InvalidRequestError('A response schema needs responseMimeType application/json.', { param: 'generationConfig.responseMimeType' });
    return;
  }
  req.responseFormat = schema ? { type: 'json_schema', name: 'response', schema } : { type: 'json_object' };
}
