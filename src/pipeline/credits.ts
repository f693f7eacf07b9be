import type { Usage } from '../canonical/index.js';
import type { ModelConfig } from '../config/catalogue.js';
import { InsufficientCreditsError } from '../errors.js';
import type { Gateway } from '../gateway.js';
import { formatCredits, roundUpDiv, ZERO, type Micros } from '../credits/money.js';
import { costOf, exactTerms, holdCost, holdTerms, pricingFor, worstCasePricing } from '../credits/pricing.js';
import type { Settlement } from '../credits/service.js';
import type { Route } from '../routing/route.js';
import { reserveBudgets } from './budgets.js';
import type { RequestContext } from './context.js';

/** What a request may spend at most, as the hold step needs it. */
export interface HoldNeeds {
  /** Upper bound of prompt tokens (credits/estimate.ts). */
  promptUpperBound: number;
  /** Output tokens per choice the client allows (or the model's maximum). */
  maxTokensPerChoice: number;
  choices: number;
}

/**
 * The hold step: reserve the worst case before calling upstream — at the dearest rates of every
 * deployment that might serve — out of this instance's lease on the account (credits/leases.ts:
 * no database round trip while the lease covers it), or answer 402. Returns the per-choice max_tokens the balance
 * affords when it is less than asked (the caller passes it upstream), else undefined.
 */
export async function holdCredits(gw: Gateway, ctx: RequestContext, route: Route, needs: HoldNeeds): Promise<number | undefined> {
  const principal = ctx.principal!;
  const cat = gw.config.current;
  const plan = cat.plans.get(principal.planId);
  const pricings = route.deployments.map((d) => pricingFor(cat, d.model, plan, ctx.startedAt));
  ctx.pricing = pricings[0];
  const terms = holdTerms(needs.promptUpperBound, worstCasePricing(pricings));
  const wanted = needs.maxTokensPerChoice * needs.choices;
  const minOutput = Math.min(gw.env.MIN_AFFORDABLE_OUTPUT_TOKENS, needs.maxTokensPerChoice) * needs.choices;
  const maxOutput = principal.budgeted ? await reserveBudgets(gw, ctx, terms, wanted, minOutput) : wanted; // 402 (budget)
  const outcome = await gw.credits.placeHold({ accountId: principal.accountId, terms, maxOutput, minOutput });
  if (!outcome.ok) {
    throw new InsufficientCreditsError(
      `Insufficient credits: this request needs at least ${formatCredits(holdCost(terms, minOutput))} credits to start, and the account has ${formatCredits(outcome.available)} available.`,
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

/** A hold of exactly `amount` (a priced cache hit): the answer is known, only its price is held. 402 when the account cannot pay it. */
export async function holdExact(gw: Gateway, ctx: RequestContext, amount: Micros): Promise<void> {
  if (amount <= 0n) return;
  if (ctx.principal!.budgeted) await reserveBudgets(gw, ctx, exactTerms(amount), 0, 0); // 402 (budget)
  const outcome = await gw.credits.placeHold({ accountId: ctx.principal!.accountId, terms: exactTerms(amount), maxOutput: 0, minOutput: 0 });
  if (!outcome.ok) {
    throw new InsufficientCreditsError(`Insufficient credits: this answer costs ${formatCredits(amount)} credits, and the account has ${formatCredits(outcome.available)} available.`);
  }
  ctx.hold = { amount: outcome.amount };
  gw.lifecycle.unsettled++;
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

/** What a cache hit pays: the full cost × the hit charge percent, rounded up once. */
export function cacheHitCost(ctx: RequestContext, usage: Usage, percent: number): Micros {
  if (percent <= 0) return ZERO;
  return roundUpDiv(costOfRequest(ctx, usage) * BigInt(percent), 100n) as Micros;
}

/** Response headers that show what a request cost and what is left. */
export function costHeaders(cost: Micros, settlement: Settlement | undefined): Record<string, string> {
  const h: Record<string, string> = { 'x-tollgate-cost': formatCredits(settlement ? settlement.charged : cost) };
  if (settlement?.balance !== undefined) h['x-tollgate-balance'] = formatCredits(settlement.balance);
  return h;
}
