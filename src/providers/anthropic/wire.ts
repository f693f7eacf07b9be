import type { FinishReason, Usage } from '../../canonical/index.js';

/** Messages API response shapes, as far as the gateway reads them. */
export interface WireUsage {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  output_tokens_details?: { thinking_tokens?: number | null } | null;
}

export interface WireBlock {
  type?: string;
  text?: string;
  thinking?: string;
  signature?: string;
  data?: string;
  id?: string;
  name?: string;
  input?: unknown;
}

export interface WireMessage {
  id?: string;
  type?: string;
  model?: string;
  content?: WireBlock[];
  stop_reason?: string | null;
  stop_sequence?: string | null;
  usage?: WireUsage;
}

export const PROVIDER_NAME = 'Anthropic';

const FINISH: Readonly<Record<string, FinishReason>> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  pause_turn: 'stop',
  max_tokens: 'length',
  model_context_window_exceeded: 'length',
  tool_use: 'tool_calls',
  refusal: 'content_filter',
};

/**
 * Anthropic stop_reason → canonical finish reason. `onlyJsonTool`: the model called only the
 * gateway's JSON-mode tool, so for the client the answer simply ended.
 */
export function finishFromAnthropic(reason: string | null | undefined, onlyJsonTool: boolean): FinishReason {
  if (reason === 'tool_use' && onlyJsonTool) return 'stop';
  return FINISH[reason ?? ''] ?? 'stop';
}

/**
 * Anthropic usage → canonical. Anthropic's input_tokens excludes cache reads and cache writes;
 * the canonical promptTokens includes both (see canonical/response.ts).
 */
export function usageFromAnthropic(u: WireUsage): Usage {
  const read = u.cache_read_input_tokens ?? 0;
  const write = u.cache_creation_input_tokens ?? 0;
  return {
    promptTokens: (u.input_tokens ?? 0) + read + write,
    completionTokens: u.output_tokens ?? 0,
    cachedPromptTokens: read,
    cacheWriteTokens: write,
    reasoningTokens: u.output_tokens_details?.thinking_tokens ?? 0,
  };
}

/** message_delta usage is cumulative and may repeat input figures: later non-null values win. */
export function mergeUsage(base: WireUsage, update: WireUsage | undefined): WireUsage {
  if (!update) return base;
  const out: WireUsage = { ...base };
  for (const k of ['input_tokens', 'output_tokens', 'cache_read_input_tokens', 'cache_creation_input_tokens', 'output_tokens_details'] as const) {
    if (update[k] !== undefined && update[k] !== null) (out as Record<string, unknown>)[k] = update[k];
  }
  return out;
}
