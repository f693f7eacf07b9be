import type { ChatRequest } from '../../canonical/index.js';
import { applyParams, rejectExtras, rejectUnmodelled } from '../shared/params.js';
import type { UpstreamHttpRequest, UpstreamTarget } from '../types.js';
import { toAnthropicConversation } from './messages.js';
import { anthropicPassthrough } from './passthrough.js';
import { ANTHROPIC_PARAMS, fitThinkingBudget } from './params.js';
import { applyToolsAndFormat } from './tools.js';
import { PROVIDER_NAME } from './wire.js';

/** The Messages API version the translators are written against. */
export const ANTHROPIC_VERSION = '2023-06-01';

export function anthropicHeaders(apiKey: string): Record<string, string> {
  return { 'x-api-key': apiKey, 'anthropic-version': ANTHROPIC_VERSION };
}

/** Canonical chat request → Messages API body. */
export function buildAnthropicBody(req: ChatRequest, target: UpstreamTarget): Record<string, unknown> {
  rejectExtras(req, PROVIDER_NAME);
  rejectUnmodelled(req, PROVIDER_NAME);
  const { system, messages } = toAnthropicConversation(req.messages);
  const body: Record<string, unknown> = {
    model: target.model.upstreamModel,
    // Required by Anthropic; without a client limit the model's own maximum applies.
    max_tokens: req.params.maxTokens ?? target.model.maxOutputTokens,
  };
  if (system !== undefined) body.system = system;
  body.messages = messages;
  applyParams(req, ANTHROPIC_PARAMS, body, PROVIDER_NAME);
  applyToolsAndFormat(req, body);
  fitThinkingBudget(body);
  if (req.stream) body.stream = true;
  return body;
}

export function anthropicChatRequest(req: ChatRequest, target: UpstreamTarget): UpstreamHttpRequest {
  if (req.wire?.format === 'anthropic') return anthropicPassthrough(req, target, anthropicHeaders(target.key.secret));
  return {
    method: 'POST',
    path: '/messages',
    headers: { ...anthropicHeaders(target.key.secret), 'content-type': 'application/json' },
    body: JSON.stringify(buildAnthropicBody(req, target)),
  };
}
