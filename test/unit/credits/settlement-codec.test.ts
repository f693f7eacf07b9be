import { describe, expect, it } from 'vitest';
import { decodeSettlement, encodeSettlement } from '../../../src/credits/settlement-codec.js';
import type { Micros } from '../../../src/credits/money.js';
import type { LeasedSettlement } from '../../../src/credits/settlements.js';

/** Every field set to a value no other field has, so a field dropped or swapped in the codec shows. */
function settlement(): LeasedSettlement {
  const id = '0192f3a0-1111-7000-8000-000000000001';
  return {
    requestId: id,
    accountId: '0192f3a0-2222-7000-8000-000000000002',
    cost: 1234n as Micros,
    hold: 98765n as Micros,
    lease: 'instance-a',
    budget: true,
    idempotency: { key: 'idem-1', ok: true, status: 200, body: '{"x":1}', headers: { 'x-tollgate-cost': '0.001234' }, retentionMs: 86_400_000 },
    row: {
      id, account_id: '0192f3a0-2222-7000-8000-000000000002', user_id: 'user-3', api_key_id: 'key-4', endpoint: 'chat.completions',
      model_alias: 'alias-5', served_model: 'served-6', provider_id: 'provider-7', upstream_model: 'upstream-8', stream: true, status: 209,
      error_code: 'code-10', prompt_tokens: 11, completion_tokens: 12, cached_tokens: 13, cache_write_tokens: 14, reasoning_tokens: 15,
      usage_estimated: true, cost: 0, price_id: 'price-17', cache_hit: true, latency_ms: 19, upstream_latency_ms: 20,
      attempts: [{ provider: 'provider-7', status: 529, ms: 21 }], tags: { team: 'tag-22' }, instance_id: 'instance-23',
      started_at: '2026-12-01T00:00:00.024Z', finished_at: '2026-12-01T00:00:00.025Z', hold_amount: 0, uncollected: 0,
      idempotency_key: 'idem-1', max_tokens_clamped: 28, error_message: 'message-29',
    },
  };
}

describe('settlement entries in the stream', () => {
  it('round-trip every field, and are a fraction of the object form', () => {
    const s = settlement();
    const text = encodeSettlement(s);
    expect(decodeSettlement(text)).toEqual(s);
    const objectForm = JSON.stringify({ ...s, cost: s.cost.toString(), hold: s.hold!.toString() });
    expect(text.length).toBeLessThan(objectForm.length * 0.7);
  });

  it('keep absent parts absent (no hold, no idempotency, nulls)', () => {
    const s = settlement();
    const bare: LeasedSettlement = { ...s, hold: undefined, lease: null, idempotency: undefined, budget: undefined, row: { ...s.row, tags: null, error_code: null, upstream_latency_ms: null, max_tokens_clamped: null, idempotency_key: null, error_message: null } };
    delete bare.idempotency;
    delete bare.budget;
    expect(decodeSettlement(encodeSettlement(bare))).toEqual(bare);
  });

  it('read entries an earlier version appended (the object form)', () => {
    const s = settlement();
    const v1 = JSON.stringify({ ...s, cost: s.cost.toString(), hold: s.hold!.toString() });
    expect(decodeSettlement(v1)).toEqual(s);
  });

  it('read a column added after an entry was written as null', () => {
    const s = settlement();
    const arr = JSON.parse(encodeSettlement(s)) as unknown[];
    const older = decodeSettlement(JSON.stringify(arr.slice(0, -1)));
    expect(older.row.error_message).toBeNull();
    expect(older.row.max_tokens_clamped).toBe(28);
  });

  it('refuse a version they do not know, rather than guess', () => {
    expect(() => decodeSettlement(JSON.stringify([3, 'x']))).toThrow(/version 3/);
  });
});
