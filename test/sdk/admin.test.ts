import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { AuthenticationError, formatCredits, toMicrocredits, Tollgate, TollgateAdmin, type LedgerEntry } from '../../src/sdk/index.js';
import type { MockUpstream } from '../mock-upstream/server.js';
import type { TestGateway } from '../helpers/gateway.js';
import { useGatewayHarness } from '../helpers/harness.js';

let gw: TestGateway;
let mock: MockUpstream;
useGatewayHarness({ seed: false }, (h) => ({ gw, mock } = h));

const admin = () => new TollgateAdmin({ adminToken: gw.adminToken, baseURL: gw.url, maxRetries: 0 });

describe('TollgateAdmin', () => {
  it('sets up a provider, model, plan and user, funds them, and the app client spends it', async () => {
    const a = admin();
    const provider = await a.providers.create({ id: 'sdk-openai', kind: 'openai', baseUrl: mock.baseUrl('openai'), keys: [{ secret: 'mock-openai-key-0001', label: 'primary' }] });
    expect(provider).toMatchObject({ id: 'sdk-openai', kind: 'openai', enabled: true, keys: [{ label: 'primary', last4: '0001', weight: 1, enabled: true }] });
    const second = await a.providers.addKey('sdk-openai', { secret: 'mock-openai-key-0002', label: 'spare', weight: 2 });
    expect(second).toMatchObject({ last4: '0002', weight: 2 });
    await a.providers.updateKey('sdk-openai', second.id, { enabled: false });
    expect((await a.providers.get('sdk-openai')).keys.find((k) => k.id === second.id)?.enabled).toBe(false);
    expect(await a.providers.update('sdk-openai', { name: 'Mock OpenAI' })).toMatchObject({ name: 'Mock OpenAI' });
    expect((await a.providers.test('sdk-openai')).keys.find((k) => k.keyId === provider.keys[0]!.id)).toMatchObject({ ok: true, status: 200 });
    expect((await a.providers.list()).map((p) => p.id)).toContain('sdk-openai');

    const model = await a.models.create({
      alias: 'sdk-chat',
      providerId: 'sdk-openai',
      upstreamModel: 'gpt-4o-mini-2024-07-18',
      contextWindow: 128_000,
      maxOutputTokens: 4_096,
      price: { inputPerMtok: '1', outputPerMtok: '2' },
    });
    expect(model).toMatchObject({ alias: 'sdk-chat', kind: 'chat', enabled: true, price: { inputPerMtok: '1.000000', outputPerMtok: '2.000000', cachedInputPerMtok: '1.000000' } });
    expect(await a.models.update('sdk-chat', { supportsJson: true })).toMatchObject({ supportsJson: true });

    const plan = await a.plans.create({ id: 'sdk-plan', name: 'SDK plan', markupBps: 5_000 });
    expect(plan).toMatchObject({ id: 'sdk-plan', markupBps: 5_000, rpm: null, userCount: 0 });
    expect(await a.plans.update('sdk-plan', { rpm: 600 })).toMatchObject({ rpm: 600 });

    const user = await a.users.create({ email: 'Ada@Example.test', name: 'Ada', planId: 'sdk-plan', initialCredits: '1' });
    expect(user).toMatchObject({ email: 'ada@example.test', planId: 'sdk-plan', disabled: false, balanceMicros: '1000000', activeKeys: 0 });
    const key = await a.keys.create(user.id, { name: 'laptop' });
    expect(key.key.startsWith(key.prefix)).toBe(true);
    expect(await a.keys.list(user.id)).toEqual([{ id: key.id, userId: user.id, prefix: key.prefix, name: 'laptop', revokedAt: null, expiresAt: null, createdAt: expect.any(String) }]);

    expect(await a.accounts.grant(user.accountId, { amount: '2.5', note: 'top-up', idempotencyKey: 'inv-1' })).toEqual({ applied: true, balance: '3.500000', held: '0.000000', available: '3.500000' });
    expect(await a.accounts.grant(user.accountId, { amount: '2.5', note: 'top-up', idempotencyKey: 'inv-1' })).toMatchObject({ applied: false, balance: '3.500000' });
    expect(await a.accounts.adjust(user.accountId, { amount: '-0.5', note: 'correction' })).toMatchObject({ applied: true, balance: '3.000000' });

    const tg = new Tollgate({ apiKey: key.key, baseURL: gw.url, maxRetries: 0 });
    const r = await tg.chat.completions.create({ model: 'sdk-chat', messages: [{ role: 'user', content: 'Hello there gateway' }] });
    // 15 µ at list price, plus the plan's 50% markup.
    expect(r.tollgate).toMatchObject({ model: 'sdk-chat', provider: 'sdk-openai', cost: '0.000023', balance: '2.999977' });

    const ledger = await a.accounts.ledger(user.accountId);
    expect(ledger.data.map((l) => [l.kind, l.amountCredits, l.requestId])).toEqual([
      ['usage', '-0.000023', r.tollgate.requestId],
      ['adjustment', '-0.500000', null],
      ['grant', '2.500000', 'inv-1'], // a grant's idempotency key is its reference
      ['grant', '1.000000', null],
    ]);
    const all: LedgerEntry[] = [];
    for await (const entry of a.accounts.ledgerEntries(user.accountId, 3)) all.push(entry);
    expect(all).toEqual(ledger.data);
    expect(formatCredits(all.reduce((sum, l) => sum + BigInt(l.amount), 0n))).toBe((await a.accounts.get(user.accountId)).balance);

    const usage = await a.usage({ userId: user.id });
    expect(usage.totals).toMatchObject({ requests: 1, cost: '0.000023' });
    expect((await a.usage({ accountId: user.accountId, tags: { team: 'none' } })).totals.requests).toBe(0);
    expect((await a.health({ minutes: 5 })).providers.find((p) => p.provider === 'sdk-openai')).toMatchObject({ requests: 1, errors: 0 });
    expect((await a.users.get(user.id)).activeKeys).toBe(1);
    expect((await a.accounts.list({ q: 'ada@' })).map((acc) => acc.id)).toContain(user.accountId);

    // The request log, usage stats and the key search.
    const r2 = await tg.chat.completions.create({ model: 'sdk-chat', messages: [{ role: 'user', content: 'And once more' }] });
    const page = await a.requests.list({ userId: user.id, limit: 1 });
    expect(page.data.map((q) => q.id)).toEqual([r2.tollgate.requestId]);
    expect(page.nextBefore).not.toBeNull();
    const older = await a.requests.list({ userId: user.id, limit: 1, before: page.nextBefore! });
    expect(older.data.map((q) => q.id)).toEqual([r.tollgate.requestId]);
    expect(await a.requests.get(r.tollgate.requestId!)).toMatchObject({ id: r.tollgate.requestId, userEmail: 'ada@example.test', cost: '0.000023', attempts: [{ provider: 'sdk-openai', status: 200 }] });
    const stats = await a.stats({ userId: user.id, groupBy: 'model', bucket: 'hour' });
    expect(stats.totals).toMatchObject({ requests: 2, errors: 0 });
    expect(stats.groups.map((g) => [g.key, g.requests])).toEqual([['sdk-chat', 2]]);
    expect(await a.keys.search({ q: 'ada@example', status: 'active' })).toEqual([expect.objectContaining({ id: key.id, userEmail: 'ada@example.test', accountId: user.accountId })]);

    // CSV exports, read as streams.
    const text = async (body: ReadableStream<Uint8Array>) => new Response(body).text();
    const requestsCsv = (await text(await a.requests.exportCsv({ userId: user.id, keyId: key.id }))).trimEnd().split('\n');
    expect(requestsCsv.slice(1).map((l) => l.split(',')[0])).toEqual([r2.tollgate.requestId, r.tollgate.requestId]);
    const ledgerCsv = (await text(await a.accounts.exportLedgerCsv(user.accountId))).trimEnd().split('\n');
    expect(ledgerCsv.slice(1).map((l) => l.split(',')[2])).toEqual(['usage', 'usage', 'adjustment', 'grant', 'grant']);
    const statsCsv = (await text(await a.exportStatsCsv({ userId: user.id, groupBy: 'model', bucket: 'hour' }))).trimEnd().split('\n');
    expect(statsCsv.slice(1).map((l) => l.split(',').slice(1, 4).join(','))).toEqual(['sdk-chat,sdk-chat,2']);
    expect(await a.requests.exportCsv({ status: 'nope' as 'ok' }).catch((e) => e)).toMatchObject({ status: 400, param: 'status' });

    // A revoked key stops working at once.
    await a.keys.revoke(key.id);
    const err = await tg.chat.completions.create({ model: 'sdk-chat', messages: [{ role: 'user', content: 'again' }] }).catch((e) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect(err.status).toBe(401);
    expect((await a.keys.list(user.id))[0]!.revokedAt).not.toBeNull();
  });

  it('manages prices, and deletes what it created', async () => {
    const a = admin();
    await a.providers.create({ id: 'sdk-temp', kind: 'mistral', baseUrl: mock.baseUrl('mistral') });
    await a.models.create({ alias: 'sdk-temp-chat', providerId: 'sdk-temp', upstreamModel: 'mistral-small-latest', contextWindow: 32_000, maxOutputTokens: 1_000, price: { inputPerMtok: '0.1', outputPerMtok: '0.3' } });
    const later = new Date(Date.now() + 86_400_000).toISOString();
    const withFuture = await a.models.addPrice('sdk-temp-chat', { inputPerMtok: '0.2', outputPerMtok: '0.6', effectiveFrom: later });
    expect(withFuture.price).toMatchObject({ inputPerMtok: '0.100000' }); // the future price is not in force yet
    const prices = await a.models.prices('sdk-temp-chat');
    expect(prices.map((p) => p.inputPerMtok)).toEqual(['0.200000', '0.100000']);
    expect(toMicrocredits(prices[0]!.outputPerMtok)).toBe(600_000n);

    await a.plans.create({ id: 'sdk-temp-plan', name: 'Temp' });
    await a.plans.delete('sdk-temp-plan');
    await a.models.delete('sdk-temp-chat');
    await a.providers.delete('sdk-temp');
    expect(await a.plans.get('sdk-temp-plan').catch((e) => e)).toBeInstanceOf(OpenAI.NotFoundError);
    expect((await a.models.list()).map((m) => m.alias)).not.toContain('sdk-temp-chat');
    expect(await a.providers.get('sdk-temp').catch((e) => e)).toMatchObject({ status: 404 });
  });

  it('manages admin accounts and reads the audit log of what it changed', async () => {
    const a = admin();
    const ada = await a.team.create({ email: 'ada@example.com', role: 'billing', password: 'a long enough password' });
    expect(ada).toMatchObject({ email: 'ada@example.com', role: 'billing', disabled: false });
    expect((await a.team.update(ada.id, { role: 'viewer' })).role).toBe('viewer');
    expect((await a.team.list()).map((x) => x.email)).toContain('ada@example.com');
    await a.team.delete(ada.id);

    const page = await a.audit({ targetType: 'admin_account', limit: 2 });
    expect(page.data.map((e) => e.action)).toEqual(['admin_account.delete', 'admin_account.update']);
    expect(page.data[1]).toMatchObject({ actor: 'admin token', before: { role: 'billing' }, after: { role: 'viewer' } });
    const older = await a.audit({ targetType: 'admin_account', before: page.nextBefore! });
    expect(older.data.map((e) => e.action)).toEqual(['admin_account.create']);
    expect(older.nextBefore).toBeNull();
  });

  it('raises validation failures naming the field, and refuses a wrong admin token', async () => {
    const err = await admin().plans.create({ id: 'Not A Slug', name: 'x' }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err).toMatchObject({ status: 400, param: 'id', code: 'invalid_field' });
    const wrong = new TollgateAdmin({ adminToken: 'not-the-admin-token', baseURL: gw.url });
    expect(await wrong.users.list().catch((e) => e)).toMatchObject({ status: 401, code: 'invalid_admin_token', constructor: AuthenticationError });
  });
});
