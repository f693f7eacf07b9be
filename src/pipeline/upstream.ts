import type { Gateway } from '../gateway.js';
import type { UpstreamTarget } from '../providers/types.js';
import type { Route } from '../routing/route.js';
import { callWithFailover, type Served } from '../upstream/failover.js';
import { Cancel } from '../util/cancel.js';
import type { RequestContext } from './context.js';
import { admitTarget } from './limits.js';

/**
 * The upstream step: the route's deployments in order, each key admitted against its own quota
 * and the user's per-provider limit, through retries, breakers and fallbacks. The served target
 * is recorded on the request. `attempt` sends on the cancel it is given: the request's own
 * (its client went away), or, for a request that went ahead while its limits were being taken
 * (ctx.admitting), one that also fires when they refuse — the call is dropped and the refusal
 * is the answer.
 */
export async function callUpstream<T>(
  gw: Gateway,
  ctx: RequestContext,
  route: Route,
  estTokens: number,
  abort: Cancel,
  attempt: (target: UpstreamTarget, traceHeaders: Record<string, string> | undefined, cancel: Cancel) => Promise<T>,
): Promise<Served<T>> {
  const admitting = ctx.admitting;
  const pick = (d: Route['deployments'][number], avoid?: ReadonlySet<string>) => admitTarget(gw, ctx, d, estTokens, avoid);
  if (!admitting) {
    const served = await callWithFailover(gw, ctx, route, pick, abort, (t, th) => attempt(t, th, abort));
    ctx.served = served.target;
    return served;
  }
  // Linked for the request's whole life: a body still being read after the call returns is cancelled with its request.
  const cancel = new Cancel();
  abort.onAbort(() => cancel.abort(abort.reason));
  let refusal: { err: unknown } | undefined;
  admitting.catch((err: unknown) => {
    refusal = { err };
    cancel.abort(err);
  });
  let served: Served<T>;
  try {
    served = await callWithFailover(gw, ctx, route, pick, cancel, (t, th) => attempt(t, th, cancel));
  } catch (err) {
    throw refusal ? refusal.err : err;
  }
  await admitting; // refused after the answer came: still refused
  ctx.served = served.target;
  return served;
}
