import type { ChatRequest } from '../../canonical/index.js';
import { malformedResponse, tryParseJson } from '../shared/errors.js';
import type { UpstreamHttpRequest, UpstreamTarget } from '../types.js';
import { forwardedHeaders } from './passthrough.js';
import { anthropicHeaders, buildAnthropicBody } from './request.js';
import { PROVIDER_NAME } from './wire.js';

/** Fields of a Messages body that shape generation, not the prompt: count_tokens refuses them. */
const GENERATION_ONLY = ['max_tokens', 'stream', 'metadata', 'stop_sequences', 'temperature', 'top_p', 'top_k', 'service_tier'] as const;

/**
 * POST /messages/count_tokens: Anthropic's own count of a prompt. An Anthropic client's body is
 * forwarded as written (with its model id replaced); a canonical request is translated first.
 */
export function anthropicCountTokensRequest(req: ChatRequest, target: UpstreamTarget): UpstreamHttpRequest {
  const body: Record<string, unknown> =
    req.wire?.format === 'anthropic' ? { ...req.wire.body, model: target.model.upstreamModel } : buildAnthropicBody({ ...req, stream: false }, target);
  for (const k of GENERATION_ONLY) delete body[k];
  return { method: 'POST', path: '/messages/count_tokens', headers: forwardedHeaders(req, anthropicHeaders(target.key.secret)), body: JSON.stringify(body) };
}

export function parseAnthropicCountTokens(text: string): number {
  const body = tryParseJson(text) as { input_tokens?: unknown } | undefined;
  if (!body || typeof body.input_tokens !== 'number') throw malformedResponse(PROVIDER_NAME, 'expected { input_tokens }');
  return body.input_tokens;
}
