import type { Usage } from '../../canonical/index.js';
import type { GeminiUsageMetadata } from './wire.js';

/**
 * usageMetadata → canonical usage. Gemini counts thinking apart from the answer
 * (thoughtsTokenCount) and tool-use prompts apart from the prompt; both are billed, as output and
 * input respectively. cachedContentTokenCount is already part of promptTokenCount.
 */
export function usageFromGemini(u: GeminiUsageMetadata | undefined): Usage | undefined {
  if (!u || typeof u !== 'object') return undefined;
  const thoughts = u.thoughtsTokenCount ?? 0;
  return {
    promptTokens: (u.promptTokenCount ?? 0) + (u.toolUsePromptTokenCount ?? 0),
    completionTokens: (u.candidatesTokenCount ?? 0) + thoughts,
    cachedPromptTokens: u.cachedContentTokenCount ?? 0,
    cacheWriteTokens: 0,
    reasoningTokens: thoughts,
  };
}
