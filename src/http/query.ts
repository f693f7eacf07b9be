import { InvalidRequestError } from '../errors.js';

/** Readers of query-string parameters: a bad value is a 400 naming the parameter. */

/** A whole number within [min, max]; missing or not a number → fallback. */
export function clampInt(value: unknown, fallback: number, min: number, max: number): number {
  return Math.min(Math.max(Number(value ?? fallback) || fallback, min), max);
}

export function oneOf<T extends string>(value: unknown, allowed: readonly T[], fallback: T, param: string): T {
  if (value === undefined || value === '') return fallback;
  const found = allowed.find((a) => a === value);
  if (found === undefined) throw new InvalidRequestError(`'${param}' must be one of ${allowed.join(', ')}.`, { param });
  return found;
}

const EARLIEST = Date.UTC(1970, 0, 1);
const LATEST = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** An ISO 8601 time between 1970 and 9999 as epoch milliseconds (the request log holds nothing outside it). */
export function time(value: unknown, param: string, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const t = typeof value === 'string' ? new Date(value).getTime() : Number.NaN;
  if (Number.isNaN(t)) throw new InvalidRequestError(`'${param}' must be an ISO 8601 time.`, { param });
  if (t < EARLIEST || t > LATEST) throw new InvalidRequestError(`'${param}' must be a time between 1970 and 9999.`, { param });
  return t;
}

/** A non-empty string, else null (filters that are off). */
export function optionalString(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}
