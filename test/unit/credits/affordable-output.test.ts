import { describe, expect, it } from 'vitest';
import { affordableOutput, holdCost, type HoldTerms } from '../../../src/credits/pricing.js';

/** The largest n ≤ max with holdCost(terms, n) ≤ budget, by search: what affordableOutput must equal. */
function bySearch(terms: HoldTerms, budget: bigint, max: number, min: number): number | undefined {
  for (let n = max; n >= min; n--) if (holdCost(terms, n) <= budget) return n;
  return undefined;
}

describe('affordableOutput (the clamp of a hold taken from a lease)', () => {
  it('is the largest output the budget pays for, at the single rounding of every price', () => {
    let seed = 7;
    const rand = (m: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % m);
    for (let i = 0; i < 2_000; i++) {
      const terms: HoldTerms = { prompt: BigInt(rand(5_000)) * BigInt(1 + rand(3_000_000)), outPrice: BigInt(1 + rand(4_000_000)), mult: 10_000 + rand(20_000) };
      const max = 1 + rand(400);
      const min = rand(max + 1);
      const budget = BigInt(rand(3_000));
      expect(affordableOutput(terms, budget, max, min), JSON.stringify({ terms: String(terms.prompt), budget: String(budget), max, min })).toBe(bySearch(terms, budget, max, min));
    }
  });

  it('never shrinks an exact amount (a priced cache hit): all of it or nothing', () => {
    const terms: HoldTerms = { prompt: 500n * 1_000_000n, outPrice: 0n, mult: 10_000 };
    expect(affordableOutput(terms, 500n, 0, 0)).toBe(0);
    expect(affordableOutput(terms, 499n, 0, 0)).toBeUndefined();
  });
});
