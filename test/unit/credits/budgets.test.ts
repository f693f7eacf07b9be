import { describe, expect, it } from 'vitest';
import { budgetRefusal, periodEnd } from '../../../src/credits/budgets.js';
import { micros } from '../../../src/credits/money.js';
import { openAIErrorBody, httpStatusOf, errorHeaders } from '../../../src/http/errors.js';

describe('budget periods (UTC)', () => {
  it('a day ends at the next UTC midnight, a month on the first of the next, across year ends; lifetime never', () => {
    expect(periodEnd('day', '2026-12-31')!.toISOString()).toBe('2027-01-01T00:00:00.000Z');
    expect(periodEnd('month', '2026-12-01')!.toISOString()).toBe('2027-01-01T00:00:00.000Z');
    expect(periodEnd('month', '2028-02-01')!.toISOString()).toBe('2028-03-01T00:00:00.000Z');
    expect(periodEnd('lifetime', '1970-01-01')).toBeNull();
  });
});

describe('the 402 of a cap', () => {
  it('names the cap, its period, its limit, what is spent and reserved, and when it resets', () => {
    const now = Date.parse('2026-12-01T22:00:00Z');
    const err = budgetRefusal({ scope: 'user', period: 'month', periodStart: '2026-12-01', limit: micros(5_000_000), spent: micros(4_990_000), reserved: micros(6_000) }, micros(81), now);
    expect(httpStatusOf(err)).toBe(402);
    expect(openAIErrorBody(err)).toEqual({
      error: {
        type: 'insufficient_quota',
        code: 'budget_exceeded',
        param: null,
        message:
          "Budget exceeded: this key's user's monthly cap for 2026-12 (UTC) is 5.000000 credits; 4.990000 is spent and 0.006000 is reserved by requests in flight, and this request needs at least 0.000081. The cap resets at 2027-01-01T00:00:00.000Z.",
      },
    });
    expect(errorHeaders(err)).toEqual({
      'retry-after': String(30 * 86_400 + 2 * 3600),
      'x-tollgate-budget-scope': 'user',
      'x-tollgate-budget-period': 'month',
      'x-tollgate-budget-limit': '5.000000',
      'x-tollgate-budget-spent': '4.990000',
      'x-tollgate-budget-reserved': '0.006000',
    });
  });

  it('a lifetime cap has no Retry-After', () => {
    const err = budgetRefusal({ scope: 'key', period: 'lifetime', periodStart: '1970-01-01', limit: micros(1), spent: micros(1), reserved: micros(0) }, micros(5));
    expect(err.message).toBe("Budget exceeded: this API key's lifetime cap is 0.000001 credits; 0.000001 is spent, and this request needs at least 0.000005.");
    expect(errorHeaders(err)?.['retry-after']).toBeUndefined();
  });
});
