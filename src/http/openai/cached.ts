import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ChatRequest } from '../../canonical/index.js';
import { cacheHitCost, costHeaders, holdExact, servedBy, settleRequest } from '../../credits/metering.js';
import { formatCredits } from '../../credits/money.js';
import type { Gateway } from '../../gateway.js';
import type { Route } from '../../routing/route.js';
import type { RequestContext } from '../context.js';
import { sendJsonText } from '../respond.js';
import { renderChatCompletion } from './render.js';
import { responseAsSse } from './replay.js';
import { SSE_HEADERS } from './sse-writer.js';

/**
 * The response-cache step: decide whether this request may use the cache, and answer from it
 * on a hit (charged by the hit policy, recorded as a cache hit, streamed when asked). Returns
 * true when the request was answered. On a miss the decision stays on the request, and the
 * serve functions store the answer if it completes.
 */
export async function answerFromCache(gw: Gateway, ctx: RequestContext, route: Route, chat: ChatRequest, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const primary = route.deployments[0]!.model;
  const decision = gw.cache.decide(chat, primary, req.headers, ctx.principal!.accountId);
  ctx.cache = decision;
  ctx.responseHeaders['x-cache'] = decision.key ? 'MISS' : 'BYPASS';
  const hit = await gw.cache.lookup(decision, primary.alias);
  if (!hit) return false;

  ctx.cacheHit = true;
  ctx.responseHeaders['x-cache'] = 'HIT';
  ctx.cachedFrom = { model: hit.servedModel, provider: hit.provider, upstreamModel: hit.response.model };
  ctx.usage = hit.usage;
  servedBy(gw, ctx, gw.config.current.models.get(hit.servedModel) ?? primary);
  const cost = cacheHitCost(ctx, hit.usage, gw.cache.hitChargePercent);
  await holdExact(gw, ctx, cost); //                                        402
  const settlement = await settleRequest(gw, ctx, cost);
  const headers = { ...ctx.responseHeaders, 'x-tollgate-model': hit.servedModel, 'x-tollgate-provider': hit.provider, ...costHeaders(cost, settlement) };
  if (!chat.stream) {
    sendJsonText(res, 200, renderChatCompletion(hit.response, hit.usage), headers);
    return true;
  }
  const ident = { id: `chatcmpl-${ctx.id}`, created: Math.floor(ctx.startedAt / 1000), model: hit.response.model };
  const extra = { x_tollgate: { cost: formatCredits(settlement?.charged ?? cost), balance: settlement ? formatCredits(settlement.balance) : null, estimated: hit.usage.estimated === true, cache: 'HIT' } };
  res.writeHead(200, { ...SSE_HEADERS, ...headers });
  res.end(responseAsSse(hit.response, ident, chat.includeUsage ? hit.usage : undefined, extra));
  return true;
}
