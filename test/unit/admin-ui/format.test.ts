import { describe, expect, it } from 'vitest';
import { columnPlaces, credits, when } from '../../../admin-ui/src/lib/format.js';

/** The panel's display of money and times (admin-ui/src/lib/format.ts): never rounded, aligned per column, with seconds. */
describe('panel formatting', () => {
  it('shows credits with their significant decimals, at least two, without rounding', () => {
    expect(credits('12.500000')).toBe('12.50');
    expect(credits('0.000042')).toBe('0.000042');
    expect(credits('-1234.100000')).toBe('-1,234.10');
    expect(credits(null)).toBe('—');
  });

  it('gives a column one number of decimals: what its most precise amount needs', () => {
    const column = ['250.000000', '-12.500000', '0.036840', '0.000012'];
    const places = columnPlaces(column);
    expect(places).toBe(6);
    expect(column.map((v) => credits(v, places))).toEqual(['250.000000', '-12.500000', '0.036840', '0.000012']);
    const coarse = ['250.000000', '-12.500000', '3.250000'];
    expect(coarse.map((v) => credits(v, columnPlaces(coarse)))).toEqual(['250.00', '-12.50', '3.25']);
    // A number of places below what an amount needs never cuts it.
    expect(credits('0.000042', 2)).toBe('0.000042');
    expect(columnPlaces([])).toBe(2);
  });

  it('shows times to the second', () => {
    expect(when('2026-03-01T10:04:05.000Z')).toMatch(/\b\d{2}:04:05\b/);
  });
});
