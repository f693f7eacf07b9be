import type { ServerResponse as Response } from 'node:http';
import type { ChatRequest, Usage } from '../../canonical/index.js';
import { estimateUsage, tokenBudgetEstimate } from '../../credits/estimate.js';
import { costHeaders, costOfRequest, servedBy, settleRequest } from '../../credits/metering.js';
import type { Gateway } from '../../gateway.js';
import type { Route } from '../../routing/route.js';
import { sendChat } from '../../upstream/call.js';
import { clientAbortController, type RequestContext } from '../context.js';
import { callWithFailover } from '../../upstream/failover.js';
import { idempotencyOutcome } from './idempotent.js';
import { renderChatCompletion } from './render.js';
import { sendJsonText } from '../respond.js';

/** Non-streaming: call upstream (retries, breakers, fallbacks), settle, then answer with the cost and balance in headers. */
export async function serveChat(gw: Gateway, ctx: RequestContext, route: Route, chat: ChatRequest, res: Response): Promise<void> {
  const abort = clientAbortController(res);
  const { value: resp, target } = await callWithFailover(gw, ctx, route, tokenBudgetEstimate(chat), abort, (t) => sendChat(gw.transport, t, chat, abort));
  ctx.served = target;
  servedBy(gw, ctx, target.model);
  const usage: Usage = resp.usage ?? (await estimateUsage(chat, resp.choices.map((c) => (c.text ?? '') + (c.toolCalls ?? []).map((t) => t.arguments).join('')).join('')));
  ctx.usage = usage;

  const body = renderChatCompletion(resp, usage);
  const cost = costOfRequest(ctx, usage);
  const headers: Record<string, string> = { ...ctx.responseHeaders, 'x-tollgate-model': target.model.alias, 'x-tollgate-provider': target.provider.id };
  const settlement = await settleRequest(gw, ctx, cost, idempotencyOutcome(gw, ctx, true, body, { ...headers, ...costHeaders(cost, undefined) }));
  sendJsonText(res, 200, body, { ...headers, ...costHeaders(cost, settlement) });
  if (ctx.cache?.store) void gw.cache.save(ctx.cache, { response: resp, usage, servedModel: target.model.alias, provider: target.provider.id, storedAt: Date.now() });
}
