/**
 * Credit amounts cross the wire as decimal strings with up to six places ("12.500000"): exact,
 * never floats. These helpers convert them to and from integer microcredits
 * (1 credit = 1,000,000 microcredits) for arithmetic in bigint.
 */

export const MICROCREDITS_PER_CREDIT = 1_000_000n;

const CREDITS_RE = /^(-)?(\d+)(?:\.(\d{1,6}))?$/;

/** "12.5" → 12500000n. Throws a RangeError for anything that is not an exact credit amount. */
export function toMicrocredits(credits: string): bigint {
  const m = CREDITS_RE.exec(credits.trim());
  if (!m) throw new RangeError(`Not a credit amount with at most 6 decimals: '${credits}'`);
  const value = BigInt(m[2]!) * MICROCREDITS_PER_CREDIT + BigInt((m[3] ?? '').padEnd(6, '0'));
  return m[1] ? -value : value;
}

/** 12500000n → "12.500000", the gateway's own format. */
export function formatCredits(microcredits: bigint): string {
  const negative = microcredits < 0n;
  const abs = negative ? -microcredits : microcredits;
  const fraction = (abs % MICROCREDITS_PER_CREDIT).toString().padStart(6, '0');
  return `${negative ? '-' : ''}${abs / MICROCREDITS_PER_CREDIT}.${fraction}`;
}
