import type { ChatRequest } from '../canonical/index.js';
import { estimateUsage } from '../credits/estimate.js';
import { ZERO } from '../credits/money.js';
import { adapterFor } from '../providers/registry.js';
import { resolveChatRoute } from '../routing/route.js';
import { sendCountTokens } from '../upstream/call.js';
import type { CountTokensDialect } from './dialect.js';
import { jsonAnswer, type Operation } from './operation.js';
import { callUpstream } from './upstream.js';

/** The gateway's own count of a prompt, for providers that cannot count one. */
async function estimatePrompt(req: ChatRequest): Promise<number> {
  return (await estimateUsage(req, '')).promptTokens;
}

/**
 * Counting a prompt's tokens: authenticated, rate-limited and logged like any request, never
 * charged (no hold, cost zero). When the model's provider counts prompts itself it is asked —
 * through the same keys, limits, retries and fallbacks as a chat — and otherwise the gateway's
 * estimator answers.
 */
export function countTokensOperation(dialect: CountTokensDialect): Operation<ChatRequest> {
  return {
    endpoint: dialect.endpoint,
    parse: (body, path, headers) => dialect.parse(body, path, headers),
    model: (req) => req.model,
    stream: () => false,
    route: resolveChatRoute,
    // Nothing is generated: token budgets are not spent.
    tokenEstimate: () => 0,
    serve: async (gw, ctx, ex, req, route) => {
      let inputTokens: number;
      if (adapterFor(route.deployments[0]!.provider.kind).countTokens) {
        const served = await callUpstream(gw, ctx, route, 0, ex.abort, (t, th, cancel) =>
          adapterFor(t.provider.kind).countTokens ? sendCountTokens(gw.transport, t, req, cancel, th) : estimatePrompt(req),
        );
        inputTokens = served.value;
      } else inputTokens = await estimatePrompt(req);
      const body = dialect.response(inputTokens);
      return jsonAnswer(ex, [ctx.responseHeaders], body, ZERO);
    },
    error: (err) => dialect.error(err),
  };
}
