import type { ServerResponse as Response } from 'node:http';
import type { ChatRequest, Usage } from '../../canonical/index.js';
import { estimateUsage, tokenBudgetEstimate } from '../../credits/estimate.js';
import { costHeaders, costOfRequest, servedBy, settleRequest } from '../../credits/metering.js';
import type { Gateway } from '../../gateway.js';
import type { Route } from '../../routing/route.js';
import { sendChat } from '../../upstream/call.js';
import { clientAbortController, type RequestContext } from '../context.js';
import { toGatewayError } from '../errors.js';
import { recordAttempt } from './attempt.js';
import { admitTarget } from '../../limits/steps.js';
import { idempotencyOutcome } from './idempotent.js';
import { renderChatCompletion } from './render.js';
import { sendJsonText } from '../respond.js';

/** Non-streaming: call upstream, settle, then answer with the cost and balance in headers. */
export async function serveChat(gw: Gateway, ctx: RequestContext, route: Route, chat: ChatRequest, res: Response): Promise<void> {
  const target = await admitTarget(gw, ctx, route.deployments[0]!, tokenBudgetEstimate(chat));
  const t0 = performance.now();
  let resp;
  try {
    resp = await sendChat(gw.transport, target, chat, clientAbortController(res));
  } catch (err) {
    const e = toGatewayError(err);
    recordAttempt(ctx, target, t0, e.status, e);
    throw e; // the error middleware settles (releases the hold, records the failure)
  }
  ctx.upstreamMs = performance.now() - t0;
  recordAttempt(ctx, target, t0, 200);
  ctx.served = target;
  servedBy(gw, ctx, target.model);
  const usage: Usage = resp.usage ?? (await estimateUsage(chat, resp.choices.map((c) => (c.text ?? '') + (c.toolCalls ?? []).map((t) => t.arguments).join('')).join('')));
  ctx.usage = usage;

  const body = renderChatCompletion(resp, usage);
  const cost = costOfRequest(ctx, usage);
  const headers: Record<string, string> = { ...ctx.responseHeaders, 'x-tollgate-model': target.model.alias, 'x-tollgate-provider': target.provider.id };
  const settlement = await settleRequest(gw, ctx, cost, idempotencyOutcome(gw, ctx, true, body, { ...headers, ...costHeaders(cost, undefined) }));
  sendJsonText(res, 200, body, { ...headers, ...costHeaders(cost, settlement) });
}
