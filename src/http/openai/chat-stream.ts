import type { ServerResponse as Response } from 'node:http';
import type { ChatRequest, Usage } from '../../canonical/index.js';
import { estimateUsage, tokenBudgetEstimate } from '../../credits/estimate.js';
import { costOfRequest, servedBy, settleRequest } from '../../credits/metering.js';
import { formatCredits, type Micros } from '../../credits/money.js';
import type { Gateway } from '../../gateway.js';
import { outcomeStatus } from '../../errors.js';
import type { Route } from '../../routing/route.js';
import { openChatStream, peekFirst } from '../../upstream/call.js';
import { callWithFailover } from '../../upstream/failover.js';
import { clientAbortController, type RequestContext } from '../context.js';
import { idempotencyOutcome } from './idempotent.js';
import { renderUsageChunk, type ChunkIdentity } from './render.js';
import { responseAsSse } from './replay.js';
import { endSseWithDone, endSseWithError, SSE_HEADERS, writeSse } from './sse-writer.js';
import { relayToOpenAIClient, type RelayOutcome } from './stream-relay.js';

/**
 * Streaming: open upstream (errors before the first byte are ordinary error responses), relay
 * chunk by chunk, then settle and finish the stream with the usage chunk (carrying cost and
 * balance) and [DONE]. What is billed:
 * - a complete stream: the provider's usage report, or the estimator's count of what was relayed;
 * - the client disconnected: the prompt and what was produced up to then;
 * - the upstream died mid-way: what reached the client, or nothing if nothing did.
 */
export async function serveChatStream(gw: Gateway, ctx: RequestContext, route: Route, chat: ChatRequest, res: Response): Promise<void> {
  const abort = clientAbortController(res);
  const t0 = performance.now();
  // Retries and fallbacks stop once the first chunk is in hand: nothing has reached the client yet.
  const { value: upstream, target } = await callWithFailover(gw, ctx, route, tokenBudgetEstimate(chat), abort, async (t) =>
    peekFirst(await openChatStream(gw.transport, t, chat, abort)),
  );
  ctx.served = target;
  servedBy(gw, ctx, target.model);
  res.writeHead(200, { ...SSE_HEADERS, ...ctx.responseHeaders, 'x-tollgate-model': target.model.alias, 'x-tollgate-provider': target.provider.id });
  const ident = { id: `chatcmpl-${ctx.id}`, created: Math.floor(ctx.startedAt / 1000), model: target.model.upstreamModel };

  const outcome = await relayToOpenAIClient(res, upstream, ident);
  ctx.upstreamMs = performance.now() - t0;
  const received = outcome.received;
  let billable: Usage | undefined;
  if (outcome.error) {
    noteStreamEnd(ctx, outcomeStatus(outcome.error), outcome.error.code ?? outcome.error.message);
    ctx.status = outcomeStatus(outcome.error);
    ctx.errorCode = outcome.error.code ?? undefined;
    // Only what reached the client is billed, and never the error text itself.
    billable = outcome.delivered ? await estimateUsage(chat, received.generatedText()) : undefined;
  } else if (outcome.clientGone) {
    noteStreamEnd(ctx, 499, 'client_disconnected');
    ctx.status = 499;
    ctx.errorCode = 'client_disconnected';
    billable = received.usage ?? (await estimateUsage(chat, received.generatedText()));
  } else {
    billable = received.usage ?? (await estimateUsage(chat, received.generatedText()));
  }
  ctx.usage = billable;

  const cost = costOfRequest(ctx, billable);
  const ok = !outcome.error && !outcome.clientGone;
  // Only a stream that finished cleanly, every choice with its finish reason, is worth replaying.
  if (ok && billable && received.complete && ctx.cache?.store) {
    void gw.cache.save(ctx.cache, { response: received.response(), usage: billable, servedModel: target.model.alias, provider: target.provider.id, storedAt: Date.now() });
  }
  const settlement = await settleRequest(gw, ctx, cost, ctx.idempotency && streamReplay(gw, ctx, ok, received, ident, chat.includeUsage ? billable : undefined, cost));
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

/** The stream that was served ended badly after it began: the served attempt's record says how. */
function noteStreamEnd(ctx: RequestContext, status: number, error: string): void {
  const served = ctx.attempts.at(-1);
  if (served) {
    served.status = status;
    served.error = error;
  }
}

/**
 * What an Idempotency-Key stores for a stream: the whole answer as SSE, reporting what the first
 * call cost (no balance: it would be stale by then). Built only for requests that carry a key.
 */
function streamReplay(gw: Gateway, ctx: RequestContext, ok: boolean, received: RelayOutcome['received'], ident: ChunkIdentity, usage: Usage | undefined, cost: Micros) {
  const t = ctx.served!;
  const extra = { x_tollgate: { cost: formatCredits(cost), balance: null, estimated: usage?.estimated === true } };
  const stored = ok ? responseAsSse(received.response(), ident, usage, extra) : '';
  return idempotencyOutcome(gw, ctx, ok, stored, { 'x-tollgate-model': t.model.alias, 'x-tollgate-provider': t.provider.id, 'x-tollgate-cost': formatCredits(cost) });
}
