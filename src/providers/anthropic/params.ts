import type { ChatRequest, Message, ReasoningEffort } from '../../canonical/index.js';
import { InvalidRequestError } from '../../errors.js';
import type { ParamTable } from '../shared/params.js';

/**
 * reasoning_effort → extended thinking (`thinking: { type: 'enabled', budget_tokens }`).
 * Anthropic counts thinking tokens toward max_tokens, as OpenAI counts reasoning tokens toward
 * max_completion_tokens, so the budget is capped to leave ANSWER_RESERVE tokens for the answer
 * (fitThinkingBudget). Anthropic's minimum budget is 1024 tokens.
 */
export const THINKING_BUDGET: Readonly<Record<ReasoningEffort, number>> = {
  minimal: 1024,
  low: 2048,
  medium: 8192,
  high: 16384,
};
const MIN_THINKING_BUDGET = 1024;
const ANSWER_RESERVE = 1024;

/** The last assistant turn called tools, carries no thinking blocks, and the conversation continues with their results. */
function continuesToolTurn(messages: Message[]): boolean {
  let sawToolResult = false;
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]!;
    if (m.role === 'tool') sawToolResult = true;
    if (m.role === 'assistant') return sawToolResult && (m.toolCalls?.length ?? 0) > 0 && !m.thinking?.length;
  }
  return false;
}

/** Request shapes Anthropic refuses when extended thinking is on (its documented constraints). */
function thinkingConflict(req: ChatRequest): string | undefined {
  const p = req.params;
  if (p.temperature !== undefined && p.temperature !== 1) return 'extended thinking only allows temperature 1';
  if (p.topP !== undefined && p.topP < 0.95) return 'extended thinking only allows top_p between 0.95 and 1';
  if (req.toolChoice === 'required' || typeof req.toolChoice === 'object') {
    return "extended thinking cannot be combined with a tool_choice that forces a tool ('required' or a named function)";
  }
  if (req.responseFormat) return 'extended thinking cannot be combined with response_format (JSON mode is a forced tool call on Anthropic)';
  if (req.messages.at(-1)?.role === 'assistant') return 'extended thinking cannot continue a prefilled assistant message';
  if (continuesToolTurn(req.messages)) {
    return "extended thinking cannot continue a tool-use turn without that turn's signed thinking block, which the OpenAI format does not carry";
  }
  return undefined;
}

/**
 * Canonical parameters → Messages API fields. max_tokens is written by the request builder,
 * which falls back to the model's maximum output (Anthropic requires it on every request).
 */
export const ANTHROPIC_PARAMS: ParamTable = {
  maxTokens: { min: 1 },
  temperature: { to: 'temperature', min: 0, max: 1 },
  topP: { to: 'top_p', min: 0, max: 1 },
  stop: { to: 'stop_sequences' },
  n: { unsupported: 'Anthropic returns one completion per request' },
  seed: { unsupported: true },
  presencePenalty: { unsupported: true },
  frequencyPenalty: { unsupported: true },
  logitBias: { unsupported: true },
  logprobs: { unsupported: 'Anthropic does not return log probabilities' },
  topLogprobs: { unsupported: 'Anthropic does not return log probabilities' },
  user: {
    to: 'metadata.user_id',
    unsupported: (v: string) => (v.length > 256 ? 'Anthropic accepts a user id of at most 256 characters' : undefined),
  },
  reasoningEffort: {
    to: 'thinking',
    map: (effort: ReasoningEffort) => ({ type: 'enabled', budget_tokens: THINKING_BUDGET[effort] }),
    unsupported: (_effort: ReasoningEffort, req: ChatRequest) => thinkingConflict(req),
  },
  thinkingBudget: {
    to: 'thinking',
    map: (budget: number) => ({ type: 'enabled', budget_tokens: budget }),
    unsupported: (_budget: number, req: ChatRequest) => (req.params.reasoningEffort ? 'give reasoning_effort or a thinking budget, not both' : thinkingConflict(req)),
  },
  topK: { to: 'top_k', min: 0 },
  // Anthropic returns its thinking blocks whenever it thinks; the ingress renders them as the summary.
  reasoningSummary: {
    unsupported: (_v: boolean, req: ChatRequest) =>
      req.params.reasoningEffort || req.params.thinkingBudget ? undefined : 'Anthropic only reasons when asked to: give a reasoning effort with the summary',
  },
  // The tool_choice object is completed (type, name) by the tools translator.
  parallelToolCalls: { to: 'tool_choice.disable_parallel_tool_use', map: (v: boolean) => !v },
};

/** Caps the thinking budget so max_tokens keeps room for the answer; too small a max_tokens is a 400. */
export function fitThinkingBudget(body: Record<string, unknown>): void {
  const thinking = body.thinking as { budget_tokens: number } | undefined;
  if (!thinking) return;
  const room = (body.max_tokens as number) - ANSWER_RESERVE;
  if (room < MIN_THINKING_BUDGET) {
    throw new InvalidRequestError(
      `reasoning_effort needs max_tokens of at least ${MIN_THINKING_BUDGET + ANSWER_RESERVE} on Anthropic: the thinking budget ` +
        `(at least ${MIN_THINKING_BUDGET} tokens) is part of max_tokens and must leave room for the answer.`,
      { param: 'max_tokens', code: 'invalid_value' },
    );
  }
  thinking.budget_tokens = Math.min(thinking.budget_tokens, room);
}
