import type { Usage } from '../canonical/index.js';
import type { Catalogue, ModelConfig, PlanConfig, PriceConfig } from '../config/catalogue.js';
import { ServiceUnavailableError } from '../errors.js';
import { priceTokens, roundUpDiv, type Micros } from './money.js';

/** The price a request pays: captured when it starts, so a later price change never re-prices it. */
export interface Pricing {
  modelAlias: string;
  price: PriceConfig;
  markupBps: number;
}

export function pricingFor(catalogue: Catalogue, model: ModelConfig, plan: PlanConfig | undefined, startedAt: number): Pricing {
  const price = catalogue.priceAt(model, startedAt);
  if (!price) throw new ServiceUnavailableError(`The model '${model.alias}' has no price in force; an operator must set one.`, 'model_not_priced');
  return { modelAlias: model.alias, price, markupBps: plan?.markupBps ?? 0 };
}

/**
 * Actual cost of a usage report. Each part of the prompt is priced at its own rate — cached
 * reads at the cached price, cache writes at the cache-write price, the rest at the input
 * price — and counted once; reasoning tokens are part of completionTokens.
 */
export function costOf(usage: Usage, pricing: Pricing): Micros {
  const cached = Math.min(usage.cachedPromptTokens, usage.promptTokens);
  const write = Math.min(usage.cacheWriteTokens, usage.promptTokens - cached);
  return priceTokens(
    { input: usage.promptTokens - cached - write, cachedInput: cached, cacheWrite: write, output: usage.completionTokens },
    pricing.price,
    pricing.markupBps,
  );
}

/**
 * The numbers a hold needs for the worst case: every prompt token at the dearest prompt
 * rate (a cache write can cost more than plain input), and the output price per token; all
 * before the markup multiplier and the single rounding.
 */
export interface HoldTerms {
  prompt: bigint;
  outPrice: bigint;
  mult: number;
}

export function holdTerms(promptUpperBound: number, pricing: Pricing): HoldTerms {
  const p = pricing.price;
  let dearest = p.inputPerMtok as bigint;
  if (p.cacheWritePerMtok > dearest) dearest = p.cacheWritePerMtok;
  if (p.cachedInputPerMtok > dearest) dearest = p.cachedInputPerMtok;
  return { prompt: BigInt(promptUpperBound) * dearest, outPrice: p.outputPerMtok, mult: 10_000 + pricing.markupBps };
}

/** What a hold on these terms costs with `outputTokens` of output: the same single rounding as every price. */
export function holdCost(terms: HoldTerms, outputTokens: number): Micros {
  return roundUpDiv((terms.prompt + BigInt(outputTokens) * terms.outPrice) * BigInt(terms.mult), 1_000_000n * 10_000n) as Micros;
}

/**
 * The dearest rate of each kind across the pricings of every deployment that might serve a
 * request, so a fallback never costs more than was held. The first pricing names the model and
 * markup.
 */
export function worstCasePricing(all: Pricing[]): Pricing {
  const first = all[0]!;
  const max = (pick: (p: Pricing) => bigint) => all.reduce((m, p) => (pick(p) > m ? pick(p) : m), pick(first)) as Micros;
  return {
    modelAlias: first.modelAlias,
    markupBps: first.markupBps,
    price: {
      ...first.price,
      inputPerMtok: max((p) => p.price.inputPerMtok),
      outputPerMtok: max((p) => p.price.outputPerMtok),
      cachedInputPerMtok: max((p) => p.price.cachedInputPerMtok),
      cacheWritePerMtok: max((p) => p.price.cacheWritePerMtok),
    },
  };
}

/** Terms whose hold is exactly `amount` (an answer whose price is already known). */
export function exactTerms(amount: Micros): HoldTerms {
  return { prompt: amount * 1_000_000n, outPrice: 0n, mult: 10_000 };
}

/**
 * The most output tokens (at most `maxOutput`) a hold on these terms can have within `budget`:
 * the largest n with holdCost(terms, n) ≤ budget (the rule of migration 0002's place_holds); undefined when
 * fewer than `minOutput` fit, or when the terms have no per-token part to shrink.
 */
export function affordableOutput(terms: HoldTerms, budget: bigint, maxOutput: number, minOutput: number): number | undefined {
  if (holdCost(terms, maxOutput) <= budget) return maxOutput;
  if (terms.outPrice <= 0n || budget < 0n) return undefined;
  const mult = BigInt(terms.mult);
  const n = (budget * 1_000_000n * 10_000n - terms.prompt * mult) / (terms.outPrice * mult);
  // Truncating division rounds a negative quotient up to 0: check the cost itself.
  if (n < BigInt(minOutput) || n < 0n || holdCost(terms, Number(n)) > budget) return undefined;
  return Number(n);
}
