import type { Gateway } from '../gateway.js';
import type { RequestContext } from './context.js';

/**
 * The last step of every request that reached a route: one metrics record and one log line
 * (with the trace id when tracing is on).
 * Called when the response closes (streams included), after settlement.
 */
export function requestFinished(gw: Gateway, ctx: RequestContext, method: string, path: string): void {
  const served = ctx.served;
  const model = served?.model.alias ?? ctx.modelAlias ?? 'none';
  const provider = served?.provider.id ?? 'none';
  const totalMs = ctx.elapsedMs();
  const u = ctx.usage;
  gw.metrics.recordRequest({
    endpoint: ctx.endpoint || 'other',
    model: served ? model : 'none',
    provider,
    status: ctx.status,
    stream: ctx.stream,
    totalSeconds: totalMs / 1000,
    upstreamSeconds: ctx.attempts.length ? ctx.upstreamMs / 1000 : undefined,
    tokens: u ? { prompt: u.promptTokens, completion: u.completionTokens, cached: u.cachedPromptTokens, cacheWrite: u.cacheWriteTokens, reasoning: u.reasoningTokens } : undefined,
    chargedMicros: ctx.charged,
    cacheHit: ctx.cacheHit,
  });
  for (const a of ctx.attempts) gw.metrics.recordAttempt(a.provider, a.status);
  if (!gw.log.isLevelEnabled('info')) return;
  gw.log.info(
    {
      reqId: ctx.id,
      clientReqId: ctx.clientRequestId,
      traceId: ctx.span.traceId,
      method,
      path,
      status: ctx.status,
      errorCode: ctx.errorCode,
      model: ctx.modelAlias,
      servedModel: served?.model.alias,
      provider: served?.provider.id,
      stream: ctx.stream,
      latencyMs: Math.round(totalMs * 10) / 10,
      upstreamMs: ctx.attempts.length ? Math.round(ctx.upstreamMs) : undefined,
      attempts: ctx.attempts.length,
      promptTokens: u?.promptTokens,
      completionTokens: u?.completionTokens,
      usageEstimated: u?.estimated || undefined,
      costMicros: ctx.charged > 0n ? ctx.charged.toString() : undefined,
      cacheHit: ctx.cacheHit || undefined,
      accountId: ctx.principal?.accountId,
      userId: ctx.principal?.userId,
    },
    'request',
  );
}
