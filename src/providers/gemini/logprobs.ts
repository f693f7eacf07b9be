import type { GeminiLogprobsCandidate, GeminiLogprobsResult } from './wire.js';

interface OpenAITokenLogprob {
  token: string;
  logprob: number;
  bytes: number[];
}

function tokenLogprob(c: GeminiLogprobsCandidate): OpenAITokenLogprob {
  const token = c.token ?? '';
  return { token, logprob: c.logProbability ?? 0, bytes: [...Buffer.from(token, 'utf8')] };
}

/**
 * logprobsResult → OpenAI's choice.logprobs ({content: [{token, logprob, bytes, top_logprobs}]}).
 * Gemini gives the chosen token and the top candidates of every decoding step, which is exactly
 * what OpenAI reports.
 */
export function logprobsFromGemini(r: GeminiLogprobsResult | undefined): unknown {
  const chosen = r?.chosenCandidates;
  if (!Array.isArray(chosen) || chosen.length === 0) return undefined;
  return {
    content: chosen.map((c, i) => ({
      ...tokenLogprob(c),
      top_logprobs: (r?.topCandidates?.[i]?.candidates ?? []).map(tokenLogprob),
    })),
    refusal: null,
  };
}
