import { beforeAll, describe, expect, it } from 'vitest';
import { adminCall, signIn } from '../helpers/admin-session.js';
import { useGatewayHarness } from '../helpers/harness.js';

/** Every admin change lands in the audit log with who, what and before → after — and no secret ever does. */
const h = useGatewayHarness({ seed: false });
const PASSWORD = 'a long enough password';
let cookie: string;

const asAccount = async (method: string, path: string, body?: unknown) => {
  const res = await adminCall(h.gw.url, method, path, { cookie, body });
  if (res.status >= 400) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
};
const auditRows = () => h.db.query<{ action: string; actor_label: string; target_type: string; target_id: string; before: any; after: any }>('SELECT * FROM audit_log ORDER BY id');

beforeAll(async () => {
  await h.gw.admin('POST', '/team', { email: 'ada@example.com', role: 'admin', password: PASSWORD });
  cookie = await signIn(h.gw.url, 'ada@example.com', PASSWORD);
});

describe('audit log', () => {
  it('records catalogue, price, plan, user, key and credit changes with their actor, never a secret', async () => {
    await h.gw.admin('POST', '/providers', { id: 'oa', kind: 'openai', baseUrl: h.mock.baseUrl('openai'), keys: [{ secret: 'sk-first-secret-AAAA1111', label: 'main' }] });
    const added = await asAccount('POST', '/providers/oa/keys', { secret: 'sk-second-secret-BBBB2222', label: 'spare' });
    await asAccount('PATCH', `/providers/oa/keys/${added.id}`, { secret: 'sk-rotated-secret-CCCC3333' });
    await asAccount('POST', '/models', { alias: 'm1', providerId: 'oa', upstreamModel: 'gpt-4o-mini', contextWindow: 1000, maxOutputTokens: 100, price: { inputPerMtok: '1', outputPerMtok: '2' } });
    await asAccount('PATCH', '/models/m1', { enabled: false });
    await asAccount('POST', '/models/m1/prices', { inputPerMtok: '3', outputPerMtok: '4' });
    await asAccount('POST', '/plans', { id: 'pro', name: 'Pro', rpm: 10 });
    await asAccount('PATCH', '/plans/pro', { rpm: 20 });
    const user = await asAccount('POST', '/users', { email: 'u@example.com', planId: 'pro', initialCredits: '5' });
    const key = await asAccount('POST', `/users/${user.id}/keys`, { name: 'laptop' });
    await asAccount('DELETE', `/keys/${key.id}`);
    await asAccount('POST', `/accounts/${user.accountId}/grants`, { amount: '2.5', note: 'top-up' });
    await h.gw.admin('POST', `/accounts/${user.accountId}/adjustments`, { amount: '-1' });
    await asAccount('DELETE', '/plans/pro').catch(() => undefined); // in use: refused, so not recorded

    const rows = await auditRows();
    expect(rows.map((r) => `${r.actor_label} ${r.action} ${r.target_type}:${r.target_id}`)).toEqual([
      'admin token admin_account.create admin_account:' + rows[0]!.target_id,
      'admin token provider.create provider:oa',
      `ada@example.com provider_key.create provider_key:oa/${added.id}`,
      `ada@example.com provider_key.update provider_key:oa/${added.id}`,
      'ada@example.com model.create model:m1',
      'ada@example.com model.update model:m1',
      'ada@example.com price.create model:m1',
      'ada@example.com plan.create plan:pro',
      'ada@example.com plan.update plan:pro',
      `ada@example.com user.create user:${user.id}`,
      `ada@example.com api_key.create api_key:${key.id}`,
      `ada@example.com api_key.revoke api_key:${key.id}`,
      `ada@example.com credits.grant account:${user.accountId}`,
      `admin token credits.adjustment account:${user.accountId}`,
    ]);
    const byAction = (a: string) => rows.find((r) => r.action === a)!;
    expect(byAction('plan.update').before).toMatchObject({ id: 'pro', rpm: 10 });
    expect(byAction('plan.update').after).toMatchObject({ id: 'pro', rpm: 20 });
    expect(byAction('model.update').before.enabled).toBe(true);
    expect(byAction('model.update').after.enabled).toBe(false);
    expect(byAction('price.create').after.priceHistory).toHaveLength(2);
    expect(byAction('provider_key.update').before).toMatchObject({ label: 'spare', last4: '2222' });
    expect(byAction('provider_key.update').after).toMatchObject({ last4: '3333', secretRotated: true });
    expect(byAction('api_key.revoke').before.revokedAt).toBeNull();
    expect(byAction('api_key.revoke').after.revokedAt).not.toBeNull();
    expect(byAction('credits.grant')).toMatchObject({ before: { balance: '5.000000' }, after: { balance: '7.500000', amount: '2.5', note: 'top-up' } });

    const everything = JSON.stringify(await h.db.query('SELECT * FROM audit_log'));
    for (const secret of ['first-secret', 'second-secret', 'rotated-secret', key.key.slice(3, 30), PASSWORD, 'scrypt$']) expect(everything).not.toContain(secret);
    // The ledger names who granted the credits, too.
    const ledger = await h.gw.admin('GET', `/accounts/${user.accountId}/ledger`);
    expect(ledger.data.map((l: { actor: string }) => l.actor).slice(0, 2)).toEqual(['admin token', 'ada@example.com']);
  });

  it('records nothing for a change that failed, the record being in the change’s transaction', async () => {
    const before = (await auditRows()).length;
    expect((await adminCall(h.gw.url, 'POST', '/plans', { cookie, body: { id: 'default', name: 'again' } })).status).toBe(409);
    const user = (await h.gw.admin('GET', '/users')).data[0];
    expect((await adminCall(h.gw.url, 'POST', `/accounts/${user.accountId}/adjustments`, { cookie, body: { amount: '-1000' } })).status).toBe(400);
    expect((await adminCall(h.gw.url, 'PATCH', '/models/nope', { cookie, body: { enabled: true } })).status).toBe(404);
    expect(await auditRows()).toHaveLength(before);
  });

  it('pages newest first and filters by actor, action, target type and target', async () => {
    const first = await asAccount('GET', '/audit?limit=5');
    expect(first.data).toHaveLength(5);
    expect(first.data[0].action).toBe('credits.adjustment');
    expect(first.data[0]).toMatchObject({ actorKind: 'token', actorId: null, actor: 'admin token', targetType: 'account' });
    const second = await asAccount('GET', `/audit?limit=5&before=${first.nextBefore}`);
    expect(Number(second.data[0].id)).toBeLessThan(Number(first.data[4].id));

    const mine = await asAccount('GET', '/audit?actor=ada@&limit=100');
    expect(mine.data.length).toBe(11);
    expect(mine.nextBefore).toBeNull();
    expect((await asAccount('GET', '/audit?action=plan.')).data.map((e: { action: string }) => e.action)).toEqual(['plan.update', 'plan.create']);
    expect((await asAccount('GET', '/audit?action=model.update')).data).toHaveLength(1);
    expect((await asAccount('GET', '/audit?targetType=model&targetId=m1')).data).toHaveLength(3);
    expect((await asAccount('GET', `/audit?from=${new Date(Date.now() + 60_000).toISOString()}`)).data).toEqual([]);
    expect((await adminCall(h.gw.url, 'GET', '/audit?before=abc', { cookie })).status).toBe(400);
  });

  it('records spend caps, allowlists, webhooks and alerts, never a webhook secret or the secret in its URL', async () => {
    await h.gw.admin('POST', '/providers', { id: 'oa2', kind: 'openai', baseUrl: h.mock.baseUrl('openai'), keys: [{ secret: 'sk-x-secret-DDDD4444' }] });
    await h.gw.admin('POST', '/models', { alias: 'm2', providerId: 'oa2', upstreamModel: 'gpt-4o-mini', contextWindow: 1000, maxOutputTokens: 100, price: { inputPerMtok: '1', outputPerMtok: '2' } });
    const user = await asAccount('POST', '/users', { email: 'caps@example.com', initialCredits: '5' });
    const key = await asAccount('POST', `/users/${user.id}/keys`, { name: 'capped' });
    await asAccount('PATCH', `/keys/${key.id}/limits`, { allowedModels: ['m2'], caps: { day: '1.5' } });
    await asAccount('PATCH', `/users/${user.id}/limits`, { caps: { month: '10' } });
    const hook = await asAccount('POST', '/webhooks', { url: 'https://hooks.example.com/services/T000/B000/very-secret-path-token' });
    await asAccount('POST', `/webhooks/${hook.id}/secret`);
    const alert = await asAccount('POST', '/alerts', { kind: 'budget', keyId: key.id, period: 'day', percents: [50, 100], webhookId: hook.id });

    const rows = (await auditRows()).filter((r) => /^(api_key\.limits|user\.limits|webhook\.|alert\.)/.test(r.action));
    const byAction = (a: string) => rows.find((r) => r.action === a)!;
    expect(byAction('api_key.limits')).toMatchObject({ actor_label: 'ada@example.com', target_id: key.id, before: { allowedModels: null, caps: {} }, after: { allowedModels: ['m2'], caps: { day: '1.500000' } } });
    expect(byAction('user.limits')).toMatchObject({ target_id: user.id, before: { caps: {} }, after: { caps: { month: '10.000000' } } });
    expect(byAction('webhook.create').after.url).toBe('https://hooks.example.com/…');
    expect(byAction('webhook.rotate_secret').target_id).toBe(hook.id);
    expect(byAction('alert.create').target_id).toBe(alert.id);
    const everything = JSON.stringify(rows);
    expect(everything).not.toContain('very-secret-path-token');
    expect(everything).not.toContain(hook.secret);
  });
});
