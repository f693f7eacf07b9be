import type { Gateway } from '../gateway.js';
import type { UpstreamTarget } from '../providers/types.js';
import type { Route } from '../routing/route.js';
import { callWithFailover, type Served } from '../upstream/failover.js';
import type { RequestContext } from './context.js';
import { admitTarget } from './limits.js';
import type { Cancel } from '../util/cancel.js';

/**
 * The upstream step: the route's deployments in order, each key admitted against its own quota
 * and the user's per-provider limit, through retries, breakers and fallbacks. The served target
 * is recorded on the request.
 */
export async function callUpstream<T>(
  gw: Gateway,
  ctx: RequestContext,
  route: Route,
  estTokens: number,
  abort: Cancel,
  attempt: (target: UpstreamTarget, traceHeaders: Record<string, string> | undefined) => Promise<T>,
): Promise<Served<T>> {
  const served = await callWithFailover(gw, ctx, route, (d, avoid) => admitTarget(gw, ctx, d, estTokens, avoid), abort, attempt);
  ctx.served = served.target;
  return served;
}
