import type { Gateway } from '../gateway.js';
import type { RequestContext } from './context.js';
import type { UpstreamTarget } from '../providers/types.js';
import type { ProviderKeyConfig } from '../config/catalogue.js';
import type { Deployment } from '../routing/route.js';

/**
 * The limit steps of the pipeline. Each admission is remembered on
 * the request, so its token budgets are corrected with real usage and its leases released when
 * the request ends (see finishAdmissions).
 */
export function admitRequest(gw: Gateway, ctx: RequestContext, est: { tokens: number; stream: boolean }, mayGoAhead: boolean): { done: Promise<void>; ahead: boolean } {
  const p = ctx.principal!;
  const { admission, ahead } = gw.limits.begin(p.userId, gw.config.current.plans.get(p.planId), ctx.id, est, mayGoAhead);
  const done = admission.then((a) => {
    ctx.admissions.push(a);
    Object.assign(ctx.responseHeaders, a.headers);
  });
  return { done, ahead };
}

/**
 * A deployment's upstream target: a provider key that is enabled, not behind an open breaker,
 * not in `avoid` (failed already in this request), and within its own quota (and the user
 * within the per-provider limit). A key at its quota is skipped for the next one. Undefined when
 * no key is usable now (all open or avoided); the quota's 429 when every key is at quota.
 */
export async function admitTarget(gw: Gateway, ctx: RequestContext, d: Deployment, estTokens: number, avoid?: ReadonlySet<string>): Promise<UpstreamTarget | undefined> {
  const p = ctx.principal!;
  const plan = gw.config.current.plans.get(p.planId);
  const tried = new Set<string>(avoid);
  const isOpen = (k: ProviderKeyConfig) => gw.breakers.isOpen(d.provider, k);
  let quotaError: unknown;
  for (;;) {
    const key = gw.keys.pick(d.provider, tried, isOpen);
    if (!key) {
      if (quotaError) throw quotaError;
      return undefined;
    }
    try {
      ctx.admissions.push(await gw.limits.admitDeployment(p.userId, plan, d.provider, key, estTokens));
      return { provider: d.provider, model: d.model, key };
    } catch (err) {
      tried.add(key.id);
      quotaError = err;
    }
  }
}

/** Real usage is known (or the request failed): settle token budgets and release leases. */
export function finishAdmissions(ctx: RequestContext): void {
  const tokens = ctx.usage ? ctx.usage.promptTokens + ctx.usage.completionTokens : 0;
  for (const a of ctx.admissions) {
    a.correctTokens(tokens);
    a.release();
  }
  ctx.admissions = [];
}
