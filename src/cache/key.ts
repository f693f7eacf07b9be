import type { ChatRequest } from '../canonical/index.js';
import { canonicalHash } from '../util/canonical-json.js';

/**
 * The cache key of a chat request: a hash of everything that can change the answer — model,
 * messages, every sampling parameter, tools and tool choice, response format, provider-only
 * extras — in canonical JSON (object key order does not matter), and the scope (an account, or
 * everyone). What only changes the delivery (stream, usage chunk) or the bookkeeping (`user`)
 * is left out, so a streamed and a non-streamed request share an entry. A body in a format other
 * than OpenAI's is forwarded whole to a provider of that format, so all of it (but `stream`) and
 * its forwarded headers are in the key too.
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
    // Absent (not null) for OpenAI bodies, so their keys stay what they were.
    wire: req.wire && req.wire.format !== 'openai' ? { format: req.wire.format, body: { ...req.wire.body, stream: undefined }, headers: req.wire.headers } : undefined,
  });
}
