import type { ParamTable } from '../shared/params.js';

/** OpenAI honours every canonical parameter under its own name. */
export const OPENAI_PARAMS: ParamTable = {
  maxTokens: { to: 'max_completion_tokens', min: 1 },
  temperature: { to: 'temperature', min: 0, max: 2 },
  topP: { to: 'top_p', min: 0, max: 1 },
  stop: { to: 'stop' },
  n: { to: 'n', min: 1, max: 128 },
  seed: { to: 'seed' },
  presencePenalty: { to: 'presence_penalty', min: -2, max: 2 },
  frequencyPenalty: { to: 'frequency_penalty', min: -2, max: 2 },
  logitBias: { to: 'logit_bias' },
  logprobs: { to: 'logprobs' },
  topLogprobs: { to: 'top_logprobs', min: 0, max: 20 },
  user: { to: 'user' },
  reasoningEffort: { to: 'reasoning_effort' },
  thinkingBudget: { unsupported: 'OpenAI reasoning models take an effort, not a token budget: use reasoning_effort (Anthropic format: output_config.effort)' },
  topK: { unsupported: true },
  reasoningSummary: { unsupported: 'the Chat Completions API the gateway calls returns no reasoning summary' },
  parallelToolCalls: { to: 'parallel_tool_calls' },
};
