/**
 * Money is exact. Every amount is an integer number of microcredits (1 credit = 1,000,000
 * microcredits) held in a bigint; prices are microcredits per 1,000,000 tokens.
 *
 * Rounding rule (the only place it lives, `roundUpDiv`): a request's cost is computed exactly
 * as a rational number — Σ tokens × price-per-Mtok × (10,000 + markup bps) / (10^6 × 10^4) — and
 * rounded UP once, to a whole microcredit. Never per token, never per field, so the sum of parts
 * cannot drift; rounding up means the gateway never under-charges by a fraction.
 */

declare const brand: unique symbol;
export type Micros = bigint & { readonly [brand]: 'microcredits' };

export const ZERO = 0n as Micros;
export const MICROS_PER_CREDIT = 1_000_000n;
const TOKENS_PER_PRICE_UNIT = 1_000_000n;
const BPS = 10_000n;

export function micros(value: bigint | number | string): Micros {
  if (typeof value === 'number' && !Number.isSafeInteger(value)) throw new RangeError(`Not a whole number of microcredits: ${value}`);
  return BigInt(value) as Micros;
}

/** Parses a decimal credit amount ("12.5", "0.000001") exactly into microcredits. */
export function creditsToMicros(credits: string): Micros {
  const m = /^(-)?(\d+)(?:\.(\d{1,6}))?$/.exec(credits.trim());
  if (!m) throw new RangeError(`Not a credit amount with at most 6 decimals: ${credits}`);
  const whole = BigInt(m[2]!) * MICROS_PER_CREDIT;
  const frac = BigInt((m[3] ?? '').padEnd(6, '0'));
  const v = whole + frac;
  return (m[1] ? -v : v) as Micros;
}

/** Formats microcredits as a decimal credit string with 6 decimals ("12.500000"). */
export function formatCredits(amount: Micros | bigint): string {
  const neg = amount < 0n;
  const abs = neg ? -amount : amount;
  const whole = abs / MICROS_PER_CREDIT;
  const frac = (abs % MICROS_PER_CREDIT).toString().padStart(6, '0');
  return `${neg ? '-' : ''}${whole}.${frac}`;
}

/** ⌈a / b⌉ for a ≥ 0, b > 0. The single rounding step of all pricing. */
export function roundUpDiv(a: bigint, b: bigint): bigint {
  if (a <= 0n) return 0n;
  return (a + b - 1n) / b;
}

export interface PriceRates {
  inputPerMtok: Micros;
  outputPerMtok: Micros;
  cachedInputPerMtok: Micros;
  cacheWritePerMtok: Micros;
}

export interface TokenCounts {
  /** Prompt tokens billed at the plain input price (excludes cached reads and cache writes). */
  input: number;
  cachedInput: number;
  cacheWrite: number;
  output: number;
}

/** Exact cost of a set of token counts at given rates and markup, rounded up once. */
export function priceTokens(tokens: TokenCounts, rates: PriceRates, markupBps: number): Micros {
  const exact =
    BigInt(tokens.input) * rates.inputPerMtok +
    BigInt(tokens.cachedInput) * rates.cachedInputPerMtok +
    BigInt(tokens.cacheWrite) * rates.cacheWritePerMtok +
    BigInt(tokens.output) * rates.outputPerMtok;
  return roundUpDiv(exact * (BPS + BigInt(markupBps)), TOKENS_PER_PRICE_UNIT * BPS) as Micros;
}
