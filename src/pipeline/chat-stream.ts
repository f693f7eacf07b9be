import { StreamAccumulator } from '../canonical/accumulate.js';
import type { ChatRequest, Usage } from '../canonical/index.js';
import { estimateUsage, tokenBudgetEstimate } from '../credits/estimate.js';
import { formatCredits } from '../credits/money.js';
import { traceStream } from '../observability/tracing-genai.js';
import { ClientAbortedError, outcomeStatus, toGatewayError, type GatewayError } from '../errors.js';
import type { Gateway } from '../gateway.js';
import type { Route } from '../routing/route.js';
import { openChatStream, peekFirst, type ChatStream } from '../upstream/call.js';
import type { RequestContext } from './context.js';
import { costOfRequest, servedBy } from './credits.js';
import type { ChatDialect, StreamEncoder } from './dialect.js';
import type { Exchange } from './exchange.js';
import type { Served } from './operation.js';
import { callUpstream } from './upstream.js';

/** What a relayed stream produced, for usage accounting and settlement. */
interface Relayed {
  /** Everything that reached the client, reassembled (text, tool calls, finish, reported usage). */
  received: StreamAccumulator;
  /** Whether any content reached the client. */
  delivered: boolean;
  /** Set when the stream failed after it started (not yet told to the client). */
  error: GatewayError | undefined;
  clientGone: boolean;
}

/**
 * Relays canonical chunks to the client in its dialect, one by one with backpressure. Chunks the
 * dialect does not send on their own (the provider's usage report) are kept back: the pipeline
 * settles first and then ends the stream with usage and cost.
 */
async function relay(ex: Exchange, encoder: StreamEncoder, upstream: ChatStream): Promise<Relayed> {
  const out: Relayed = { received: new StreamAccumulator(), delivered: false, error: undefined, clientGone: false };
  try {
    for await (const chunk of upstream.chunks()) {
      out.received.add(chunk);
      const text = encoder.chunk(chunk);
      if (!text) continue;
      await ex.write(text);
      out.delivered = true;
    }
  } catch (err) {
    if (err instanceof ClientAbortedError || ex.abort.aborted) out.clientGone = true;
    else out.error = toGatewayError(err);
  }
  return out;
}

/**
 * Streamed: open upstream (errors before the first chunk are ordinary error responses, and can
 * still be retried or failed over), relay chunk by chunk, and once settled end the stream with
 * usage (carrying cost and balance). What is billed:
 * - a complete stream: the provider's usage report, or the estimator's count of what was relayed;
 * - the client disconnected: the prompt and what was produced up to then;
 * - the upstream died mid-way: what reached the client, or nothing if nothing did.
 */
export async function streamChat(gw: Gateway, ctx: RequestContext, ex: Exchange, dialect: ChatDialect, chat: ChatRequest, route: Route): Promise<Served> {
  const t0 = performance.now();
  const { value: upstream, target } = await callUpstream(gw, ctx, route, tokenBudgetEstimate(chat), ex.abort, async (t, th, cancel) =>
    peekFirst(await openChatStream(gw.transport, t, chat, cancel, th)),
  );
  servedBy(gw, ctx, target.model);
  const served: Record<string, string> = { 'x-tollgate-model': target.model.alias, 'x-tollgate-provider': target.provider.id };
  if (dialect.streamContentType) served['content-type'] = dialect.streamContentType;
  ex.open(200, [ctx.responseHeaders, served]);
  const ident = dialect.identity(ctx.id, ctx.startedAt, target.model.upstreamModel);

  const encoder = dialect.openStream(chat, ident);
  const { received, delivered, error, clientGone } = await relay(ex, encoder, traceStream(ctx.span, upstream, ctx.startedHr));
  ctx.upstreamMs = performance.now() - t0;
  let billable: Usage | undefined;
  if (error) {
    noteStreamEnd(ctx, outcomeStatus(error), error.code ?? error.message);
    ctx.errorMessage = error.message;
    // Only what reached the client is billed, and never the error text itself.
    billable = delivered ? await estimateUsage(chat, received.generatedText(), received.promptUsage) : undefined;
  } else {
    if (clientGone) noteStreamEnd(ctx, 499, 'client_disconnected');
    billable = received.usage ?? (await estimateUsage(chat, received.generatedText(), received.promptUsage));
  }
  ctx.usage = billable;
  const cost = costOfRequest(ctx, billable);
  const ok = !error && !clientGone;
  const report = (charged: bigint, balance: bigint | undefined) => ({
    cost: formatCredits(charged),
    balance: balance === undefined ? null : formatCredits(balance),
    estimated: billable?.estimated === true,
  });
  return {
    cost,
    // Only a stream that finished cleanly is worth replaying: no balance in it (it would be stale by then).
    stored: ok && billable ? () => ({ status: 200, headers: { ...served, 'x-tollgate-cost': formatCredits(cost) }, body: dialect.replay(chat, received.response(), billable, ident, report(cost, undefined)), stream: true }) : undefined,
    respond: (s) => {
      if (clientGone) return;
      ex.end(error ? encoder.error(error) : encoder.end(billable, report(s?.charged ?? cost, s?.balance)));
    },
    // Only a stream whose every choice finished is kept by the cache.
    cacheable: ok && billable && received.complete ? { response: received.response(), usage: billable, servedModel: target.model.alias, provider: target.provider.id, storedAt: Date.now() } : undefined,
  };
}

/** The stream that was served ended badly after it began: the request and its served attempt say how. */
function noteStreamEnd(ctx: RequestContext, status: number, error: string): void {
  ctx.status = status;
  ctx.errorCode = error;
  const served = ctx.attempts.at(-1);
  if (served) {
    served.status = status;
    served.error = error;
  }
}
