import type { Usage } from '../canonical/index.js';
import type { ModelConfig } from '../config/catalogue.js';
import type { Gateway } from '../gateway.js';
import type { RequestContext } from '../http/context.js';
import { InsufficientCreditsError } from '../errors.js';
import type { Route } from '../routing/route.js';
import { formatCredits, priceTokens, roundUpDiv, ZERO, type Micros } from './money.js';
import { costOf, holdTerms, pricingFor, type Pricing } from './pricing.js';
import { requestRow } from './request-row.js';
import { finishAdmissions } from '../limits/steps.js';
import type { IdempotencyOutcome, Settlement } from './service.js';

/**
 * The two money steps of the request path, as the handlers call them:
 *   holdCredits   — before the upstream call: reserve the worst case, clamp max_tokens, or 402;
 *   settleRequest — after: charge what was actually used, write the request row, once.
 */

export interface HoldNeeds {
  /** Upper bound of prompt tokens (credits/estimate.ts). */
  promptUpperBound: number;
  /** Output tokens per choice the client allows (or the model's maximum). */
  maxTokensPerChoice: number;
  choices: number;
}

/** The dearest rate of each kind across the deployments that might serve, so a fallback never costs more than was held. */
function worstCasePricing(gw: Gateway, route: Route, planId: string, startedAt: number): Pricing {
  const cat = gw.config.current;
  const plan = cat.plans.get(planId);
  const all = route.deployments.map((d) => pricingFor(cat, d.model, plan, startedAt));
  const first = all[0]!;
  const max = (pick: (p: Pricing) => bigint) => all.reduce((m, p) => (pick(p) > m ? pick(p) : m), pick(first));
  return {
    modelAlias: first.modelAlias,
    markupBps: first.markupBps,
    price: {
      ...first.price,
      inputPerMtok: max((p) => p.price.inputPerMtok) as Micros,
      outputPerMtok: max((p) => p.price.outputPerMtok) as Micros,
      cachedInputPerMtok: max((p) => p.price.cachedInputPerMtok) as Micros,
      cacheWritePerMtok: max((p) => p.price.cacheWritePerMtok) as Micros,
    },
  };
}

/**
 * Places the hold for a request. Returns the per-choice max_tokens the balance affords when it
 * is less than asked (the caller passes it upstream), or undefined when no clamp was needed.
 */
export async function holdCredits(gw: Gateway, ctx: RequestContext, route: Route, needs: HoldNeeds): Promise<number | undefined> {
  const principal = ctx.principal!;
  const primary = route.deployments[0]!.model;
  ctx.pricing = pricingFor(gw.config.current, primary, gw.config.current.plans.get(principal.planId), ctx.startedAt);
  const terms = holdTerms(needs.promptUpperBound, worstCasePricing(gw, route, principal.planId, ctx.startedAt));
  const wanted = needs.maxTokensPerChoice * needs.choices;
  const minOutput = Math.min(gw.env.MIN_AFFORDABLE_OUTPUT_TOKENS, needs.maxTokensPerChoice) * needs.choices;
  const longest = Math.max(...route.deployments.map((d) => d.provider.totalTimeoutMs));
  const outcome = await gw.credits.placeHold({
    requestId: ctx.id,
    accountId: principal.accountId,
    terms,
    maxOutput: wanted,
    minOutput,
    expiresInMs: longest + gw.env.HOLD_GRACE_SECONDS * 1000,
  });
  if (!outcome.ok) {
    const need = ((terms.prompt + BigInt(minOutput) * terms.outPrice) * BigInt(terms.mult) + 9_999_999_999n) / 10_000_000_000n;
    const available = outcome.balance - outcome.held;
    throw new InsufficientCreditsError(
      `Insufficient credits: this request needs at least ${formatCredits(need)} credits to start, and the account has ${formatCredits(available < 0n ? ZERO : available)} available.`,
    );
  }
  ctx.hold = { amount: outcome.amount };
  gw.lifecycle.unsettled++;
  if (outcome.grantedOutput < wanted) {
    ctx.clampedMaxTokens = Math.floor(outcome.grantedOutput / needs.choices);
    return ctx.clampedMaxTokens;
  }
  return undefined;
}

/**
 * A hold of exactly `amount` (a priced cache hit): the answer is known, only its price is held.
 * 402 when the account cannot pay it.
 */
export async function holdExact(gw: Gateway, ctx: RequestContext, amount: Micros): Promise<void> {
  if (amount <= 0n) return;
  const outcome = await gw.credits.placeHold({
    requestId: ctx.id,
    accountId: ctx.principal!.accountId,
    terms: { prompt: amount * 1_000_000n, outPrice: 0n, mult: 10_000 },
    maxOutput: 0,
    minOutput: 0,
    expiresInMs: 60_000 + gw.env.HOLD_GRACE_SECONDS * 1000,
  });
  if (!outcome.ok) {
    throw new InsufficientCreditsError(`Insufficient credits: this answer costs ${formatCredits(amount)} credits, and the account has ${formatCredits(outcome.balance - outcome.held)} available.`);
  }
  ctx.hold = { amount: outcome.amount };
  gw.lifecycle.unsettled++;
}

/** What a cache hit pays: the full cost × the hit charge percent, rounded up once. */
export function cacheHitCost(ctx: RequestContext, usage: Usage, percent: number): Micros {
  if (percent <= 0) return ZERO;
  const full = costOfRequest(ctx, usage);
  return roundUpDiv(full * BigInt(percent), 100n) as Micros;
}

/** The request was served by this model: it pays that model's price as of the request's start. */
export function servedBy(gw: Gateway, ctx: RequestContext, model: ModelConfig): void {
  if (ctx.pricing?.modelAlias === model.alias) return;
  const plan = gw.config.current.plans.get(ctx.principal!.planId);
  ctx.pricing = pricingFor(gw.config.current, model, plan, ctx.startedAt);
}

/** What this request costs: its billable usage at its price; nothing when nothing is billable. */
export function costOfRequest(ctx: RequestContext, billable: Usage | undefined): Micros {
  if (!billable || !ctx.pricing) return ZERO;
  return costOf(billable, ctx.pricing);
}

/**
 * Settles the request exactly once: charges `cost` against its hold, releases the rest, writes
 * the ledger entry and the request row (one transaction). Requests without an account (failed
 * authentication) are not recorded.
 */
export async function settleRequest(gw: Gateway, ctx: RequestContext, cost: Micros, idempotency?: IdempotencyOutcome): Promise<Settlement | undefined> {
  if (ctx.settled || !ctx.principal) return undefined;
  ctx.settled = true;
  try {
    const settlement = await gw.credits.settle({ requestId: ctx.id, accountId: ctx.principal.accountId, cost, row: requestRow(ctx, gw.instanceId), idempotency });
    ctx.charged = settlement.charged;
    return settlement;
  } finally {
    if (ctx.hold) gw.lifecycle.unsettled--;
    // Real usage is known now: correct token budgets, release concurrency leases.
    finishAdmissions(ctx);
  }
}

/** Response headers that show what a request cost and what is left. */
export function costHeaders(cost: Micros, settlement: Settlement | undefined): Record<string, string> {
  const h: Record<string, string> = { 'x-tollgate-cost': formatCredits(settlement ? settlement.charged : cost) };
  if (settlement) h['x-tollgate-balance'] = formatCredits(settlement.balance);
  return h;
}

export { priceTokens };
