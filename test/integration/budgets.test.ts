import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import type { MockUpstream } from '../mock-upstream/server.js';
import { CHAT_MODELS, createUserWithKey } from '../helpers/catalogue.js';
import type { TestDatabase } from '../helpers/db.js';
import type { TestGateway } from '../helpers/gateway.js';
import { useGatewayHarness } from '../helpers/harness.js';
import { expectMoneyInvariants } from '../helpers/invariants.js';
import { injectFault } from '../helpers/mock-control.js';
import { waitFor } from '../helpers/wait.js';

let db: TestDatabase;
let mock: MockUpstream;
let gw: TestGateway;
useGatewayHarness({}, (h) => ({ db, mock, gw } = h));

const model = CHAT_MODELS.openai;
// Prompt 2 tokens, 20 output tokens: 2×1 + 20×2 = 42 microcredits (catalogue test prices).
const ask = { model, max_tokens: 20, messages: [{ role: 'user' as const, content: 'go [[reply:20]]' }] };

async function capped(caps: { key?: Record<string, string | null>; user?: Record<string, string | null> }, credits = '100') {
  const u = await createUserWithKey(gw, { credits });
  if (caps.key) await gw.admin('PATCH', `/keys/${u.keyId}/limits`, { caps: caps.key });
  if (caps.user) await gw.admin('PATCH', `/users/${u.user.id}/limits`, { caps: caps.user });
  return { ...u, client: new OpenAI({ apiKey: u.key, baseURL: `${gw.url}/v1`, maxRetries: 0 }) };
}

async function chat(key: string, body: object = ask) {
  const res = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, json: (await res.json()) as any };
}

/** What the key's requests were charged (the request log), once written. */
async function chargedToKey(keyId: string): Promise<bigint> {
  await gw.gw.credits.settledUpToNow();
  const [r] = await db.query<{ s: string }>('SELECT COALESCE(sum(cost), 0)::text AS s FROM requests WHERE api_key_id = $1', [keyId]);
  return BigInt(r!.s);
}

/** Spent and reserved of the current period of each cap of a key or user. */
async function usageRows(where: 'api_key_id' | 'user_id', id: string) {
  await gw.gw.credits.settledUpToNow();
  return db.query<{ period: string; spent: string; reserved: string }>(
    `SELECT b.period, u.spent::text, u.reserved::text FROM budgets b JOIN budget_usage u ON u.budget_id = b.id
      WHERE b.${where} = $1 AND u.period_start = budget_period_start(b.period, now()) ORDER BY b.period`,
    [id],
  );
}

describe('budgets: spend caps per key and per user', () => {
  it("a key's daily cap is never exceeded: requests are served (the last ones clamped) until it is spent, then 402 names the cap", async () => {
    const u = await capped({ key: { day: '0.000420' } });
    const statuses: number[] = [];
    let refusal: Awaited<ReturnType<typeof chat>> | undefined;
    for (let i = 0; i < 30 && !refusal; i++) {
      const r = await chat(u.key);
      statuses.push(r.status);
      if (r.status !== 200) refusal = r;
    }
    // Each holds its prompt's bound (49 µ) + 20 × 2 = 89 µ and costs 42 µ; a request needs room for at
    // least 16 output tokens (81 µ). Eight are served in full (336 µ), the ninth clamped to 17 tokens
    // (84 µ left: 49 + 2 × 17 = 83; it costs 36 µ), then 48 µ are left.
    expect(statuses).toEqual([...Array(9).fill(200), 402]);
    expect(refusal!.status).toBe(402);
    expect(refusal!.json.error.type).toBe('insufficient_quota');
    expect(refusal!.json.error.code).toBe('budget_exceeded');
    expect(refusal!.json.error.message).toMatch(/this API key's daily cap for \d{4}-\d\d-\d\d \(UTC\) is 0\.000420 credits; 0\.000372 is spent, and this request needs at least 0\.000081\. The cap resets at \d{4}-\d\d-\d\dT00:00:00\.000Z\./);
    expect(refusal!.headers.get('x-tollgate-budget-scope')).toBe('key');
    expect(refusal!.headers.get('x-tollgate-budget-period')).toBe('day');
    expect(refusal!.headers.get('x-tollgate-budget-limit')).toBe('0.000420');
    expect(Number(refusal!.headers.get('retry-after'))).toBeGreaterThan(0);

    const charged = await chargedToKey(u.keyId);
    expect(charged).toBe(372n);
    expect(await usageRows('api_key_id', u.keyId)).toEqual([{ period: 'day', spent: charged.toString(), reserved: '0' }]);
    await expectMoneyInvariants(db);
  });

  it('a cap smaller than the worst case clamps max_tokens to what the cap affords', async () => {
    // 85 µ: the worst case (89 µ) does not fit, 49 + 2 × 18 = 85 does.
    const u = await capped({ key: { day: '0.000085' } });
    const r = await chat(u.key);
    expect(r.status).toBe(200);
    const clamped = Number(r.headers.get('x-tollgate-max-tokens-clamped'));
    expect(clamped).toBe(18);
    expect(r.json.usage.completion_tokens).toBeLessThanOrEqual(clamped);
    expect(await chargedToKey(u.keyId)).toBeLessThanOrEqual(85n);
  });

  it("a user's lifetime cap applies to all the user's keys together, and the key's answer shows both caps", async () => {
    // Two requests of 42 µ (holding 89 µ each) fit in 150 µ; then 66 µ are left, less than the 81 µ a request needs.
    const u = await capped({ user: { lifetime: '0.000150' }, key: { month: '1' } });
    const second = await gw.admin('POST', `/users/${u.user.id}/keys`, { name: 'second' });
    expect((await chat(u.key)).status).toBe(200);
    expect((await chat(second.key)).status).toBe(200);
    const third = await chat(u.key);
    expect(third.status).toBe(402);
    expect(third.json.error.message).toContain("this key's user's lifetime cap is 0.000150 credits; 0.000084 is spent");
    expect(third.headers.get('retry-after')).toBeNull();

    const limits = await gw.admin('GET', `/keys/${u.keyId}/limits`);
    expect(limits.allowedModels).toBeNull();
    expect(limits.budgets.map((b: any) => [b.scope, b.period, b.limit, b.spent, b.reserved, b.remaining])).toEqual([
      ['key', 'month', '1.000000', '0.000042', '0.000000', '0.999958'],
      ['user', 'lifetime', '0.000150', '0.000084', '0.000000', '0.000066'],
    ]);
    const credits = (await (await fetch(`${gw.url}/v1/credits`, { headers: { authorization: `Bearer ${u.key}` } })).json()) as any;
    expect(credits.budgets).toEqual([
      expect.objectContaining({ scope: 'key', period: 'month', limit: '1.000000', spent: '0.000042', spent_microcredits: '42', resets_at: expect.stringMatching(/-01T00:00:00.000Z$/) }),
      expect.objectContaining({ scope: 'user', period: 'lifetime', limit: '0.000150', spent: '0.000084', remaining: '0.000066', resets_at: null }),
    ]);
  });

  it('a request that fails upstream gives its reservation back and spends nothing', async () => {
    const u = await capped({ key: { day: '1' } });
    await injectFault(mock, { match: 'budget-fail-me', fault: { type: 'status', status: 400 } });
    const r = await chat(u.key, { ...ask, messages: [{ role: 'user', content: 'budget-fail-me' }] });
    expect(r.status).toBe(400);
    await waitFor(async () => (await usageRows('api_key_id', u.keyId))[0]?.reserved === '0', { what: 'the reservation to be settled' });
    expect(await usageRows('api_key_id', u.keyId)).toEqual([{ period: 'day', spent: '0', reserved: '0' }]);
    expect(await db.query('SELECT * FROM budget_reservations')).toEqual([]);
  });

  it('a cap set after spending counts what the period already spent', async () => {
    const u = await createUserWithKey(gw, { credits: '100' });
    expect((await chat(u.key)).status).toBe(200);
    expect((await chat(u.key)).status).toBe(200);
    await gw.gw.credits.settledUpToNow();
    const limits = await gw.admin('PATCH', `/keys/${u.keyId}/limits`, { caps: { day: '0.000090' } });
    expect(limits.budgets[0]).toMatchObject({ scope: 'key', period: 'day', spent: '0.000084', remaining: '0.000006' });
    const r = await chat(u.key);
    expect(r.status).toBe(402);
    expect(r.json.error.code).toBe('budget_exceeded');
    // Removing the cap lifts it at once (the key's cached principal is evicted).
    await gw.admin('PATCH', `/keys/${u.keyId}/limits`, { caps: { day: null } });
    expect((await chat(u.key)).status).toBe(200);
  });

  it('requests of a key without caps touch no budget row', async () => {
    const u = await createUserWithKey(gw, { credits: '100' });
    const before = await db.query('SELECT count(*)::int AS n FROM budget_usage');
    expect((await chat(u.key)).status).toBe(200);
    expect(await db.query('SELECT count(*)::int AS n FROM budget_usage')).toEqual(before);
  });

  it("the sweeper gives back a dead instance's expired reservations", async () => {
    const u = await capped({ key: { day: '1' } });
    await db.query(`SELECT * FROM reserve_budgets('req_dead_1', $1, $2, 500000, 1, 'dead-instance', 1)`, [u.keyId, u.user.id]);
    expect((await usageRows('api_key_id', u.keyId))[0]!.reserved).toBe('500000');
    await waitFor(async () => (await gw.gw.credits.sweep()) >= 0 && (await usageRows('api_key_id', u.keyId))[0]!.reserved === '0', { what: 'the expired reservation to be released' });
    expect(await db.query("SELECT * FROM budget_reservations WHERE request_id = 'req_dead_1'")).toEqual([]);
  });
});

describe('model allowlist per key', () => {
  it('a key may call only the models it lists: 403 model_not_allowed otherwise, and /v1/models lists only those', async () => {
    const u = await createUserWithKey(gw, { credits: '100' });
    const client = new OpenAI({ apiKey: u.key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const limits = await gw.admin('PATCH', `/keys/${u.keyId}/limits`, { allowedModels: [CHAT_MODELS.anthropic] });
    expect(limits.allowedModels).toEqual([CHAT_MODELS.anthropic]);
    const err = await client.chat.completions.create(ask).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect((err as InstanceType<typeof OpenAI.APIError>).code).toBe('model_not_allowed');
    expect((err as InstanceType<typeof OpenAI.APIError>).param).toBe('model');
    expect((err as Error).message).toContain(`may not use the model '${model}'`);
    const ok = await client.chat.completions.create({ ...ask, model: CHAT_MODELS.anthropic });
    expect(ok.choices[0]!.message.content).toBeTruthy();
    expect((await client.models.list()).data.map((m) => m.id)).toEqual([CHAT_MODELS.anthropic]);
    await expect(client.models.retrieve(model)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    const credits = (await (await fetch(`${gw.url}/v1/credits`, { headers: { authorization: `Bearer ${u.key}` } })).json()) as any;
    expect(credits.allowed_models).toEqual([CHAT_MODELS.anthropic]);

    await gw.admin('PATCH', `/keys/${u.keyId}/limits`, { allowedModels: null });
    expect((await client.chat.completions.create(ask)).choices).toHaveLength(1);
  });
});

describe('admin API for limits', () => {
  it('refuses unknown models, negative or malformed caps, unknown fields and unknown keys, naming the field', async () => {
    const u = await createUserWithKey(gw, { credits: '1' });
    const fail = (path: string, body: unknown) => gw.admin('PATCH', path, body).catch((e: Error) => e.message);
    expect(await fail(`/keys/${u.keyId}/limits`, { allowedModels: ['no-such-model'] })).toMatch(/400.*"param":"allowedModels"/);
    expect(await fail(`/keys/${u.keyId}/limits`, { caps: { day: '-1' } })).toMatch(/400.*"param":"caps.day"/);
    expect(await fail(`/keys/${u.keyId}/limits`, { caps: { week: '1' } })).toMatch(/400.*Unknown field 'caps.week'/);
    expect(await fail(`/keys/${u.keyId}/limits`, {})).toMatch(/400/);
    expect(await fail(`/users/${u.user.id}/limits`, { caps: { day: 1 } })).toMatch(/400.*"param":"caps.day"/);
    expect(await fail('/keys/00000000-0000-0000-0000-000000000000/limits', { caps: { day: '1' } })).toMatch(/404/);
    expect(await fail('/users/not-a-uuid/limits', { caps: { day: '1' } })).toMatch(/400/);
  });

  it('sets, changes and removes caps; the user answer lists only the user caps', async () => {
    const u = await createUserWithKey(gw, { credits: '1' });
    let r = await gw.admin('PATCH', `/users/${u.user.id}/limits`, { caps: { day: '2', month: '10.5' } });
    expect(r.budgets.map((b: any) => [b.period, b.limit, b.limitMicros])).toEqual([
      ['day', '2.000000', '2000000'],
      ['month', '10.500000', '10500000'],
    ]);
    r = await gw.admin('PATCH', `/users/${u.user.id}/limits`, { caps: { day: null, month: '3' } });
    expect(r.budgets.map((b: any) => [b.period, b.limit])).toEqual([['month', '3.000000']]);
    expect(r.budgets[0].resetsAt).toMatch(/^\d{4}-\d\d-01T00:00:00.000Z$/);
  });
});
