/** Display formatting. Money stays a decimal string from the API; it is only shortened for display. */

const nf = new Intl.NumberFormat('en-US');
const compactNf = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });

export function num(n: number | null | undefined): string {
  return n === null || n === undefined ? '—' : nf.format(n);
}

export function compact(n: number): string {
  return Math.abs(n) < 10_000 ? nf.format(n) : compactNf.format(n);
}

const CREDITS_RE = /^(-?)(\d+)(?:\.(\d+))?$/;

/** The decimals a credit amount needs: its significant ones, at least two. */
function placesOf(value: string): number {
  const frac = CREDITS_RE.exec(value)?.[3] ?? '';
  return Math.max(2, frac.replace(/0+$/, '').length);
}

/**
 * "12.500000" → "12.50"; small amounts keep the digits that matter ("0.000042").
 * Trailing zeros past two decimals are dropped — or, with `places`, the amount is shown with
 * exactly that many (a column's amounts line up; see `columnPlaces`). The value is never rounded.
 */
export function credits(value: string | null | undefined, places?: number): string {
  if (value === null || value === undefined) return '—';
  const m = CREDITS_RE.exec(value);
  if (!m) return value;
  const [, sign, whole, frac = ''] = m;
  const shown = Math.max(places ?? 0, placesOf(value));
  return `${sign}${nf.format(Number(whole))}.${frac.padEnd(shown, '0').slice(0, shown)}`;
}

/** One number of decimals for a column of credit amounts: what its most precise amount needs (2 to 6). */
export function columnPlaces(values: (string | null | undefined)[]): number {
  return values.reduce<number>((p, v) => (v ? Math.max(p, placesOf(v)) : p), 2);
}

/** Credits as a number, for charts and proportions only — never for arithmetic on money. */
export function creditsToNumber(value: string): number {
  return Number(value);
}

export function microsToCredits(micros: string): string {
  const neg = micros.startsWith('-');
  const digits = (neg ? micros.slice(1) : micros).padStart(7, '0');
  return `${neg ? '-' : ''}${digits.slice(0, -6)}.${digits.slice(-6)}`;
}

export function percent(rate: number, digits = 1): string {
  return `${(rate * 100).toFixed(digits)}%`;
}

const dateTime = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', second: '2-digit' });
const dateOnly = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric' });
const timeOnly = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit' });

export function when(iso: string | null | undefined): string {
  return iso ? dateTime.format(new Date(iso)) : '—';
}

export function day(iso: string | null | undefined): string {
  return iso ? dateOnly.format(new Date(iso)) : '—';
}

export function clock(d: Date): string {
  return timeOnly.format(d);
}

export function relative(iso: string): string {
  const s = Math.round((Date.now() - new Date(iso).getTime()) / 1000);
  if (s < 60) return 'just now';
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return day(iso);
}

export function ms(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—';
  return n < 1000 ? `${n} ms` : `${(n / 1000).toFixed(n < 10_000 ? 2 : 1)} s`;
}
