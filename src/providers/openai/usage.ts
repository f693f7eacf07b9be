import type { Usage } from '../../canonical/index.js';

interface OpenAIUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number } | null;
  completion_tokens_details?: { reasoning_tokens?: number } | null;
}

/** OpenAI usage → canonical. OpenAI's convention is the canonical one, so this only renames. */
export function usageFromOpenAI(u: unknown): Usage | undefined {
  if (!u || typeof u !== 'object') return undefined;
  const x = u as OpenAIUsage;
  return {
    promptTokens: x.prompt_tokens ?? 0,
    completionTokens: x.completion_tokens ?? 0,
    cachedPromptTokens: x.prompt_tokens_details?.cached_tokens ?? 0,
    cacheWriteTokens: 0,
    reasoningTokens: x.completion_tokens_details?.reasoning_tokens ?? 0,
  };
}
