import type { ChatRequest } from '../../canonical/index.js';
import type { UpstreamHttpRequest, UpstreamTarget } from '../types.js';

/** Anthropic's floor for a thinking budget. */
const MIN_THINKING_BUDGET = 1024;

/** Client headers that travel with a forwarded Anthropic body: the version its shape follows, and the betas it opted into. */
const FORWARDED_HEADERS = ['anthropic-version', 'anthropic-beta'] as const;

/**
 * The client already spoke Anthropic: forward its body with only what the gateway must change —
 * the upstream model id, the token limit (clamped to what the credits allow) and the stream flag —
 * so thinking signatures, cache_control breakpoints and every field the canonical form does not
 * model reach Anthropic as the client wrote them. Anthropic validates the body itself.
 */
export function anthropicPassthrough(req: ChatRequest, target: UpstreamTarget, baseHeaders: Record<string, string>): UpstreamHttpRequest {
  const wire = req.wire!;
  const body: Record<string, unknown> = { ...wire.body, model: target.model.upstreamModel };
  if (req.params.maxTokens !== undefined) body.max_tokens = req.params.maxTokens;
  keepThinkingBelowLimit(body);
  if (req.stream) body.stream = true;
  else delete body.stream;
  return { method: 'POST', path: '/messages', headers: forwardedHeaders(req, baseHeaders), body: JSON.stringify(body) };
}

/** The gateway's headers for Anthropic, with the client's version and betas when its body is forwarded. */
export function forwardedHeaders(req: ChatRequest, baseHeaders: Record<string, string>): Record<string, string> {
  const headers: Record<string, string> = { ...baseHeaders, 'content-type': 'application/json' };
  if (req.wire?.format !== 'anthropic') return headers;
  for (const name of FORWARDED_HEADERS) {
    const v = req.wire.headers?.[name];
    if (v) headers[name] = v;
  }
  return headers;
}

/** A max_tokens clamped by the balance must still exceed the thinking budget, as Anthropic requires. */
function keepThinkingBelowLimit(body: Record<string, unknown>): void {
  const thinking = body.thinking as { type?: string; budget_tokens?: number } | undefined;
  const max = body.max_tokens as number;
  if (thinking?.type !== 'enabled' || typeof thinking.budget_tokens !== 'number' || thinking.budget_tokens < max) return;
  if (max - 1 >= MIN_THINKING_BUDGET) body.thinking = { ...thinking, budget_tokens: max - 1 };
}
