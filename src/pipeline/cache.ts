import type { ChatRequest } from '../canonical/index.js';
import { formatCredits } from '../credits/money.js';
import { traceResponse } from '../observability/tracing-genai.js';
import type { Gateway } from '../gateway.js';
import type { Route } from '../routing/route.js';
import type { RequestContext } from './context.js';
import { cacheHitCost, costHeaders, holdExact, servedBy } from './credits.js';
import type { ChatDialect } from './dialect.js';
import { mergeHeaders, type Exchange } from './exchange.js';
import type { Served } from './operation.js';

/**
 * The response-cache step: decide whether this request may use the cache, and answer from it on
 * a hit — charged by the hit policy (402 when a priced hit cannot be paid), recorded as a cache
 * hit, streamed when asked. On a miss the decision stays on the request, and the pipeline stores
 * the answer if it completes.
 */
export async function answerFromCache(gw: Gateway, ctx: RequestContext, ex: Exchange, dialect: ChatDialect, chat: ChatRequest, route: Route): Promise<Served | undefined> {
  const primary = route.deployments[0]!.model;
  const decision = gw.cache.decide(chat, primary, ex.headers, ctx.principal!.accountId);
  ctx.cache = decision;
  ctx.responseHeaders['x-cache'] = decision.key ? 'MISS' : 'BYPASS';
  const hit = await gw.cache.lookup(decision, primary.alias);
  if (!hit) return undefined;

  ctx.cacheHit = true;
  ctx.responseHeaders['x-cache'] = 'HIT';
  ctx.cachedFrom = { model: hit.servedModel, provider: hit.provider, upstreamModel: hit.response.model };
  ctx.usage = hit.usage;
  traceResponse(ctx.span, hit.response);
  servedBy(gw, ctx, gw.config.current.models.get(hit.servedModel) ?? primary);
  const cost = cacheHitCost(ctx, hit.usage, gw.cache.hitChargePercent);
  await holdExact(gw, ctx, cost); //                                        402
  const served: Record<string, string> = { 'x-tollgate-model': hit.servedModel, 'x-tollgate-provider': hit.provider };
  if (chat.stream && dialect.streamContentType) served['content-type'] = dialect.streamContentType;
  const ident = dialect.identity(ctx.id, ctx.startedAt, hit.response.model);
  const render = (charged: bigint, balance: bigint | undefined) => {
    if (!chat.stream) return dialect.response(hit.response, hit.usage, ident, chat);
    const report = { cost: formatCredits(charged), balance: balance === undefined ? null : formatCredits(balance), estimated: hit.usage.estimated === true, cache: 'HIT' as const };
    return dialect.replay(chat, hit.response, hit.usage, ident, report);
  };
  const as = chat.stream ? 'sse' : 'json';
  return {
    cost,
    stored: () => ({ status: 200, headers: mergeHeaders([ctx.responseHeaders, served, costHeaders(cost, undefined)]), body: render(cost, undefined), stream: chat.stream }),
    respond: (s) => ex.send(200, [ctx.responseHeaders, served, costHeaders(cost, s)], render(s?.charged ?? cost, s?.balance), as),
  };
}
