/** OpenAI's reset format: "20ms", "1.5s", "6m0s". */
export function resetDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  if (ms < 60_000) return `${Math.round(ms / 100) / 10}s`;
  const m = Math.floor(ms / 60_000);
  return `${m}m${Math.round((ms - m * 60_000) / 1000)}s`;
}

export interface LimitState {
  limit: number;
  remaining: number;
  resetMs: number;
}

/** x-ratelimit-* headers in OpenAI's names, for requests and tokens. */
export function rateLimitHeaders(requests: LimitState | undefined, tokens: LimitState | undefined): Record<string, string> {
  const h: Record<string, string> = {};
  if (requests) {
    h['x-ratelimit-limit-requests'] = String(requests.limit);
    h['x-ratelimit-remaining-requests'] = String(Math.max(0, requests.remaining));
    h['x-ratelimit-reset-requests'] = resetDuration(requests.resetMs);
  }
  if (tokens) {
    h['x-ratelimit-limit-tokens'] = String(tokens.limit);
    h['x-ratelimit-remaining-tokens'] = String(Math.max(0, tokens.remaining));
    h['x-ratelimit-reset-tokens'] = resetDuration(tokens.resetMs);
  }
  return h;
}
