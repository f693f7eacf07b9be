import { assertModelAllowed } from '../auth/model-allowlist.js';
import { ClientAbortedError, isInternal, toGatewayError } from '../errors.js';
import type { Gateway } from '../gateway.js';
import { ZERO } from '../credits/money.js';
import type { IdempotencyOutcome } from '../credits/service.js';
import type { RequestContext } from './context.js';
import { holdCredits } from './credits.js';
import type { Exchange } from './exchange.js';
import { replayIdempotent } from './idempotency.js';
import { admitRequest } from './limits.js';
import type { Operation, Served } from './operation.js';
import { settle } from './settle.js';

/**
 * The request path every endpoint and ingress runs (docs/ARCHITECTURE.md), one step per line
 * with what it can answer. Authentication runs before schema validation, so an anonymous caller
 * never costs more than a bounded read. Undefined: answered already (an Idempotency-Key replay).
 */
async function admitAndServe<R>(gw: Gateway, ctx: RequestContext, ex: Exchange, op: Operation<R>): Promise<Served | undefined> {
  const body = await ex.readBody(); //                                              400 / 413
  ctx.principal = await ctx.span.child('tollgate.auth').over(gw.auth.authenticate(ex.apiKey())); // 401 / 403
  const req = op.parse(body, ex.path, ex.headers); //                               400
  if (ctx.span.recording && op.traceAttributes) ctx.span.setAll(op.traceAttributes(req));
  ctx.tags = ex.tags(); //                                                          400
  ctx.modelAlias = op.model(req);
  assertModelAllowed(ctx.principal, ctx.modelAlias); //                             403
  ctx.stream = op.stream(req);
  const route = op.route(gw.config.current, req); //                                404 / 400
  const { done, ahead } = admitRequest(gw, ctx, { tokens: op.tokenEstimate(req), stream: ctx.stream }, answersAtTheEnd(ctx, ex));
  const admitting = ctx.span.child('tollgate.limits').over(done);
  if (ahead) goAhead(ctx, admitting); //                                            429 (before the answer)
  else await admitting; //                                                          429
  if (await replayIdempotent(gw, ctx, ex, body)) return undefined; //               replay / 409 / 422
  const hit = op.fromCache && (await ctx.span.child('tollgate.cache').over(op.fromCache(gw, ctx, ex, req, route))); // cache hit / 402
  if (hit) return hit;
  const clamp = op.holdNeeds && (await ctx.span.child('tollgate.credits.hold').over(holdCredits(gw, ctx, route, op.holdNeeds(req, route)))); // 402
  if (clamp !== undefined && op.clampMaxTokens) {
    op.clampMaxTokens(req, clamp);
    ctx.responseHeaders['x-tollgate-max-tokens-clamped'] = String(clamp);
  }
  return op.serve(gw, ctx, ex, req, route); //                                      upstream
}

/**
 * Runs one request through the pipeline and settles it exactly once, whatever happens: served,
 * failed, cut or abandoned by its client. Never throws.
 */
export async function runPipeline<R>(gw: Gateway, ctx: RequestContext, ex: Exchange, op: Operation<R>): Promise<void> {
  ctx.endpoint = op.endpoint;
  let served: Served | undefined;
  try {
    served = await admitAndServe(gw, ctx, ex, op);
    if (!served) return;
    if (ctx.admitting) await ctx.admitting; // a request that went ahead answers nothing before its limits are taken
    const settlement = await settle(gw, ctx, served.cost, ctx.idempotency && stored(gw, ctx, served));
    await served.respond(settlement);
  } catch (err) {
    await fail(gw, ctx, ex, op, err);
    return;
  }
  if (served.cacheable && ctx.cache?.store) void gw.cache.save(ctx.cache, served.cacheable);
}

/**
 * Whether the request may go ahead while its limits are being taken (docs/ARCHITECTURE.md,
 * "Going ahead while the limits are taken") as far as the pipeline goes: it writes nothing to its
 * client before it is done (not a stream, no Idempotency-Key whose replay would answer at once).
 * The limits add their own condition: ample room in every window (Limits.begin). Its upstream call
 * then overlaps the Redis round trip, and a refusal cancels the call and answers 429
 * (pipeline/upstream.ts).
 */
function answersAtTheEnd(ctx: RequestContext, ex: Exchange): boolean {
  return !ctx.stream && ex.headers['idempotency-key'] === undefined;
}

function goAhead(ctx: RequestContext, admitting: Promise<void>): void {
  ctx.admitting = admitting;
  // Awaited before the answer (runPipeline) or the settlement of a failure (fail); a refusal before then is not unhandled.
  admitting.catch(() => undefined);
}

/** What an Idempotency-Key keeps: the answer as sent, or a release of the key when it did not complete. */
function stored(gw: Gateway, ctx: RequestContext, served: Served): IdempotencyOutcome {
  const key = ctx.idempotency!.key;
  const answer = served.stored?.();
  if (!answer) return { key, ok: false, status: ctx.status, body: '', headers: {}, retentionMs: 0 };
  return { key, ok: true, status: answer.status, body: answer.body, headers: answer.headers, retentionMs: gw.env.IDEMPOTENCY_RETENTION_SECONDS * 1000 };
}

/** A failed request: recorded and settled (nothing charged, its key released), then answered in the ingress's error shape. */
async function fail<R>(gw: Gateway, ctx: RequestContext, ex: Exchange, op: Operation<R>, failure: unknown): Promise<void> {
  // A request that went ahead is settled once its limits are taken (they are corrected at
  // settlement); when they refused, that is the answer, as if it had waited for them.
  const refusal = ctx.admitting && (await ctx.admitting.then(() => undefined, (r: unknown) => r));
  const err = refusal !== undefined && !(failure instanceof ClientAbortedError) ? refusal : failure;
  const gone = err instanceof ClientAbortedError;
  const e = toGatewayError(err);
  const wire = op.error(e);
  ctx.status = gone ? 499 : wire.status;
  ctx.errorCode = gone ? 'client_disconnected' : (e.code ?? e.kind);
  ctx.errorMessage = gone ? undefined : e.message;
  if (isInternal(e) && !gone) gw.log.error({ err: (e.cause as Error) ?? e, reqId: ctx.id }, 'internal error');
  const release = ctx.idempotency && { key: ctx.idempotency.key, ok: false, status: ctx.status, body: '', headers: {}, retentionMs: 0 };
  await settle(gw, ctx, ZERO, release).catch((settleErr) => gw.log.error({ err: settleErr, reqId: ctx.id }, 'could not settle a failed request'));
  if (ex.started) ex.end('');
  else ex.send(wire.status, wire.headers ? [ctx.responseHeaders, wire.headers] : [ctx.responseHeaders], wire.body, 'json');
}
