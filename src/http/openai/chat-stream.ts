import type { ServerResponse as Response } from 'node:http';
import type { ChatRequest, Usage } from '../../canonical/index.js';
import { estimateUsage, tokenBudgetEstimate } from '../../credits/estimate.js';
import { costOfRequest, servedBy, settleRequest } from '../../credits/metering.js';
import { formatCredits } from '../../credits/money.js';
import type { Gateway } from '../../gateway.js';
import type { Route } from '../../routing/route.js';
import { openChatStream, type ChatStream } from '../../upstream/call.js';
import { clientAbortController, type RequestContext } from '../context.js';
import { toGatewayError } from '../errors.js';
import { recordAttempt } from './attempt.js';
import { admitTarget } from '../../limits/steps.js';
import { idempotencyOutcome } from './idempotent.js';
import { renderUsageChunk } from './render.js';
import { responseAsSse } from './replay.js';
import { endSseWithDone, endSseWithError, SSE_HEADERS, writeSse } from './sse-writer.js';
import { relayToOpenAIClient } from './stream-relay.js';

/**
 * Streaming: open upstream (errors before the first byte are ordinary error responses), relay
 * chunk by chunk, then settle and finish the stream with the usage chunk (carrying cost and
 * balance) and [DONE]. What is billed:
 * - a complete stream: the provider's usage report, or the estimator's count of what was relayed;
 * - the client disconnected: the prompt and what was produced up to then;
 * - the upstream died mid-way: what reached the client, or nothing if nothing did.
 */
export async function serveChatStream(gw: Gateway, ctx: RequestContext, route: Route, chat: ChatRequest, res: Response): Promise<void> {
  const target = await admitTarget(gw, ctx, route.deployments[0]!, tokenBudgetEstimate(chat));
  const signal = clientAbortController(res);
  const t0 = performance.now();
  let upstream: ChatStream;
  try {
    upstream = await openChatStream(gw.transport, target, chat, signal);
  } catch (err) {
    const e = toGatewayError(err);
    recordAttempt(ctx, target, t0, e.status, e);
    throw e;
  }
  ctx.served = target;
  servedBy(gw, ctx, target.model);
  res.writeHead(200, { ...SSE_HEADERS, ...ctx.responseHeaders, 'x-tollgate-model': target.model.alias, 'x-tollgate-provider': target.provider.id });
  const ident = { id: `chatcmpl-${ctx.id}`, created: Math.floor(ctx.startedAt / 1000), model: target.model.upstreamModel };

  const outcome = await relayToOpenAIClient(res, upstream, ident);
  ctx.upstreamMs = performance.now() - t0;
  const received = outcome.received;
  let billable: Usage | undefined;
  if (outcome.error) {
    recordAttempt(ctx, target, t0, outcome.error.status, outcome.error);
    ctx.status = outcome.error.status;
    ctx.errorCode = outcome.error.code ?? undefined;
    // Only what reached the client is billed, and never the error text itself.
    billable = outcome.delivered ? await estimateUsage(chat, received.generatedText()) : undefined;
  } else if (outcome.clientGone) {
    recordAttempt(ctx, target, t0, 499, 'client_disconnected');
    ctx.status = 499;
    ctx.errorCode = 'client_disconnected';
    billable = received.usage ?? (await estimateUsage(chat, received.generatedText()));
  } else {
    recordAttempt(ctx, target, t0, 200);
    billable = received.usage ?? (await estimateUsage(chat, received.generatedText()));
  }
  ctx.usage = billable;

  const cost = costOfRequest(ctx, billable);
  const ok = !outcome.error && !outcome.clientGone;
  const stored = ok ? responseAsSse(received.response(), ident, chat.includeUsage ? billable : undefined) : '';
  const settlement = await settleRequest(gw, ctx, cost, idempotencyOutcome(gw, ctx, ok, stored, { 'x-tollgate-model': target.model.alias, 'x-tollgate-provider': target.provider.id }));
  if (outcome.clientGone) return;
  if (outcome.error) return endSseWithError(res, outcome.error);
  try {
    if (chat.includeUsage && billable) {
      const extra = { x_tollgate: { cost: formatCredits(settlement?.charged ?? cost), balance: settlement ? formatCredits(settlement.balance) : null, estimated: billable.estimated === true } };
      await writeSse(res, `data: ${renderUsageChunk(billable, ident, extra)}\n\n`);
    }
    endSseWithDone(res);
  } catch {
    // The client left while the stream was being finished; the request is settled already.
  }
}
