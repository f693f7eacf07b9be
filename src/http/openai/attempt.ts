import type { UpstreamTarget } from '../../providers/types.js';
import type { RequestContext } from '../context.js';
import type { GatewayError } from '../errors.js';

/** Records one upstream attempt on the request (request log, metrics). */
export function recordAttempt(ctx: RequestContext, target: UpstreamTarget, startedAt: number, status: number, error?: GatewayError | string): void {
  const latencyMs = Math.round(performance.now() - startedAt);
  ctx.attempts.push({
    attemptId: ctx.nextAttemptId(),
    provider: target.provider.id,
    keyId: target.key.id,
    model: target.model.alias,
    status,
    latencyMs,
    ...(error ? { error: typeof error === 'string' ? error : (error.code ?? error.message) } : {}),
  });
}
