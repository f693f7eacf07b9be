import type { ReasoningEffort } from '../../canonical/index.js';
import type { ParamTable } from '../shared/params.js';

/** Gemini rejects more than this many stop sequences. */
export const MAX_STOP_SEQUENCES = 5;

/**
 * reasoning_effort → generationConfig.thinkingConfig.thinkingBudget (tokens). Budgets every
 * Gemini 2.5 model accepts (Pro 128–32768, Flash 0–24576, Flash-Lite 512–24576); Gemini 3
 * models take thinkingBudget too. "minimal" still thinks a little because 2.5 Pro cannot turn
 * thinking off.
 */
export const THINKING_BUDGETS: Readonly<Record<ReasoningEffort, number>> = {
  minimal: 512,
  low: 1_024,
  medium: 8_192,
  high: 24_576,
};

/** Every canonical parameter, and what Gemini's generationConfig does with it. */
export const GEMINI_PARAMS: ParamTable = {
  maxTokens: { to: 'generationConfig.maxOutputTokens', min: 1 },
  temperature: { to: 'generationConfig.temperature', min: 0, max: 2 },
  topP: { to: 'generationConfig.topP', min: 0, max: 1 },
  stop: {
    to: 'generationConfig.stopSequences',
    unsupported: (v: string[]) => (v.length > MAX_STOP_SEQUENCES ? `Gemini accepts at most ${MAX_STOP_SEQUENCES} stop sequences; got ${v.length}` : undefined),
  },
  n: { to: 'generationConfig.candidateCount', min: 1, max: 8 },
  seed: { to: 'generationConfig.seed' },
  presencePenalty: { to: 'generationConfig.presencePenalty', min: -2, max: 2 },
  frequencyPenalty: { to: 'generationConfig.frequencyPenalty', min: -2, max: 2 },
  logitBias: { unsupported: 'Gemini has no token-level logit bias' },
  logprobs: { to: 'generationConfig.responseLogprobs' },
  topLogprobs: { to: 'generationConfig.logprobs', min: 0, max: 20 },
  user: { consumed: true },
  reasoningEffort: { to: 'generationConfig.thinkingConfig', map: (v: ReasoningEffort) => ({ thinkingBudget: THINKING_BUDGETS[v] }) },
  thinkingBudget: { to: 'generationConfig.thinkingConfig.thinkingBudget', min: 0 },
  topK: { to: 'generationConfig.topK', min: 1 },
  reasoningSummary: { unsupported: 'the gateway does not relay Gemini thought summaries yet' },
  // Gemini decides on its own whether to call several functions in one turn; it cannot be told not to.
  parallelToolCalls: { unsupported: (v: boolean) => (v ? undefined : 'Gemini cannot be limited to one tool call per turn') },
};
