import { describe, expect, it } from 'vitest';
import { creditsToMicros, formatCredits, micros, priceTokens, roundUpDiv } from '../../../src/credits/money.js';

const rates = (input: string, output: string, cached = input, write = input) => ({
  inputPerMtok: creditsToMicros(input),
  outputPerMtok: creditsToMicros(output),
  cachedInputPerMtok: creditsToMicros(cached),
  cacheWritePerMtok: creditsToMicros(write),
});

describe('money', () => {
  it('parses and formats credit amounts exactly', () => {
    expect(creditsToMicros('12.5')).toBe(12_500_000n);
    expect(creditsToMicros('0.000001')).toBe(1n);
    expect(creditsToMicros('-3')).toBe(-3_000_000n);
    expect(() => creditsToMicros('0.0000001')).toThrow();
    expect(() => creditsToMicros('1e3')).toThrow();
    expect(formatCredits(micros(12_500_000n))).toBe('12.500000');
    expect(formatCredits(micros(-1n))).toBe('-0.000001');
  });

  it('rounds up once, to a whole microcredit', () => {
    expect(roundUpDiv(0n, 7n)).toBe(0n);
    expect(roundUpDiv(1n, 7n)).toBe(1n);
    expect(roundUpDiv(14n, 7n)).toBe(2n);
    expect(roundUpDiv(15n, 7n)).toBe(3n);
  });

  it('prices each field at its own rate and sums before rounding', () => {
    // 1000 input at 2.50/M = 2500 µ; 200 cached at 1.25/M = 250 µ; 500 output at 10/M = 5000 µ.
    const r = rates('2.5', '10', '1.25', '3.125');
    expect(priceTokens({ input: 1000, cachedInput: 200, cacheWrite: 0, output: 500 }, r, 0)).toBe(7750n);
    // 3 tokens at 0.15/M = 0.45 µ → rounds up to 1 µ; the rounding happens once, not per field.
    expect(priceTokens({ input: 3, cachedInput: 0, cacheWrite: 0, output: 0 }, rates('0.15', '0.6'), 0)).toBe(1n);
    expect(priceTokens({ input: 3, cachedInput: 0, cacheWrite: 0, output: 1 }, rates('0.15', '0.6'), 0)).toBe(2n); // 0.45 + 0.6 = 1.05 → 2
  });

  it('applies the plan markup in basis points exactly', () => {
    const r = rates('1', '2');
    expect(priceTokens({ input: 1_000_000, cachedInput: 0, cacheWrite: 0, output: 0 }, r, 1500)).toBe(1_150_000n);
    expect(priceTokens({ input: 1, cachedInput: 0, cacheWrite: 0, output: 0 }, r, 1500)).toBe(2n); // 1.15 µ → 2
  });

  it('stays exact far beyond float precision', () => {
    const r = rates('75', '150');
    const c = priceTokens({ input: 2_000_000_000, cachedInput: 0, cacheWrite: 0, output: 1_000_000_000 }, r, 333);
    expect(c).toBe(roundUpDiv((2_000_000_000n * 75_000_000n + 1_000_000_000n * 150_000_000n) * 10_333n, 10_000_000_000n));
  });
});
