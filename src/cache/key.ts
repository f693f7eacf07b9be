import type { ChatRequest } from '../canonical/index.js';
import { canonicalHash } from '../util/canonical-json.js';

/**
 * The cache key of a chat request: a hash of everything that can change the answer — model,
 * messages, every sampling parameter, tools and tool choice, response format, provider-only
 * extras — in canonical JSON (object key order does not matter), and the scope (an account, or
 * everyone). What only changes the delivery (stream, usage chunk) or the bookkeeping (`user`)
 * is left out, so a streamed and a non-streamed request share an entry.
 */
export function chatCacheKey(req: ChatRequest, scope: string): string {
  const { user: _user, ...params } = req.params;
  return canonicalHash({
    v: 1,
    scope,
    model: req.model,
    messages: req.messages,
    params,
    tools: req.tools ?? null,
    toolChoice: req.toolChoice ?? null,
    responseFormat: req.responseFormat ?? null,
    extra: req.extra ?? null,
  });
}
