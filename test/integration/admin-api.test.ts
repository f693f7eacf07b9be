import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import type { MockUpstream } from '../mock-upstream/server.js';
import type { TestDatabase } from '../helpers/db.js';
import type { TestGateway } from '../helpers/gateway.js';
import { useGatewayHarness } from '../helpers/harness.js';

let db: TestDatabase;
let mock: MockUpstream;
let gw: TestGateway;
useGatewayHarness({ seed: false }, (h) => ({ db, mock, gw } = h));

async function adminRaw(method: string, path: string, body?: unknown, token = gw.adminToken) {
  const res = await fetch(`${gw.url}/admin/api${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (res.status === 204 ? undefined : await res.json()) as any };
}

async function keyFor(email: string) {
  const user = await gw.admin('POST', '/users', { email, initialCredits: '5' });
  const created = await gw.admin('POST', `/users/${user.id}/keys`, { name: 'laptop' });
  return { user, created, client: new OpenAI({ apiKey: created.key, baseURL: `${gw.url}/v1`, maxRetries: 0 }) };
}

describe('admin API', () => {
  it('refuses requests without the admin token', async () => {
    expect((await adminRaw('GET', '/providers', undefined, 'wrong')).status).toBe(401);
    const res = await fetch(`${gw.url}/admin/api/providers`);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { type: 'authentication_error' } });
  });

  it('stores provider keys encrypted and only ever shows their last four characters', async () => {
    const created = await gw.admin('POST', '/providers', { id: 'oa', kind: 'openai', baseUrl: mock.baseUrl('openai'), keys: [{ secret: 'sk-live-supersecret-9876', label: 'main' }] });
    expect(created.keys).toHaveLength(1);
    expect(created.keys[0]).toMatchObject({ label: 'main', last4: '9876' });
    expect(JSON.stringify(created)).not.toContain('supersecret');
    const [row] = await db.query<{ secret_encrypted: string }>('SELECT secret_encrypted FROM provider_keys');
    expect(row!.secret_encrypted).toMatch(/^v2\./);
    expect(row!.secret_encrypted).not.toContain('supersecret');
    expect(JSON.stringify(await gw.admin('GET', '/providers'))).not.toContain('supersecret');
  });

  it('rotates a key in place and tests the connection per key', async () => {
    const p = await gw.admin('GET', '/providers/oa');
    await gw.admin('PATCH', `/providers/oa/keys/${p.keys[0].id}`, { secret: 'sk-rotated-0000' });
    expect((await gw.admin('GET', '/providers/oa')).keys[0].last4).toBe('0000');
    expect(await gw.admin('POST', '/providers/oa/test')).toMatchObject({ ok: true, keys: [{ ok: true, status: 200 }] });
    await gw.admin('POST', '/providers/oa/keys', { secret: 'bad-key', label: 'broken' });
    const mixed = await gw.admin('POST', '/providers/oa/test');
    expect(mixed.ok).toBe(false);
    expect(mixed.keys.find((k: { last4: string }) => k.last4 === '-key')).toMatchObject({ ok: false, status: 401 });
    await gw.admin('PATCH', `/providers/oa/keys/${mixed.keys[1].keyId}`, { enabled: false });
  });

  it('creates a model with a price, edits it, and keeps price history', async () => {
    const m = await gw.admin('POST', '/models', {
      alias: 'fast',
      providerId: 'oa',
      upstreamModel: 'gpt-4o-mini',
      contextWindow: 128000,
      maxOutputTokens: 16384,
      supportsTools: true,
      price: { inputPerMtok: '0.15', outputPerMtok: '0.6' },
    });
    expect(m.price).toMatchObject({ inputPerMtok: '0.150000', outputPerMtok: '0.600000', cachedInputPerMtok: '0.150000' });
    await gw.admin('POST', '/models/fast/prices', { inputPerMtok: '0.2', outputPerMtok: '0.8', cachedInputPerMtok: '0.1' });
    const after = await gw.admin('GET', '/models/fast');
    expect(after.price.inputPerMtok).toBe('0.200000');
    expect(after.priceHistory).toHaveLength(2);
    const [{ input_per_mtok }] = await db.query<{ input_per_mtok: string }>("SELECT input_per_mtok FROM prices WHERE model_alias = 'fast' ORDER BY effective_from DESC LIMIT 1");
    expect(input_per_mtok).toBe('200000');
    expect((await gw.admin('PATCH', '/models/fast', { maxOutputTokens: 4096 })).maxOutputTokens).toBe(4096);
  });

  it('names the field in validation errors', async () => {
    const price = { inputPerMtok: '1', outputPerMtok: '1' };
    const r = await adminRaw('POST', '/models', { alias: 'bad model!', providerId: 'oa', upstreamModel: 'x', contextWindow: 1, maxOutputTokens: 1, price });
    expect([r.status, r.body.error.param]).toEqual([400, 'alias']);
    const r2 = await adminRaw('POST', '/models', { alias: 'ok', providerId: 'oa', upstreamModel: 'x', contextWindow: 1, maxOutputTokens: 1, price: { ...price, inputPerMtok: 'free' } });
    expect(r2.body.error.param).toBe('price.inputPerMtok');
    const r3 = await adminRaw('POST', '/models', { alias: 'ok2', providerId: 'nope', upstreamModel: 'x', contextWindow: 1, maxOutputTokens: 1, price });
    expect(r3.status).toBe(400);
    expect((await adminRaw('POST', '/providers', { id: 'oa', kind: 'openai' })).status).toBe(409);
    expect((await adminRaw('PATCH', '/models/fast', { fallbacks: ['ghost'] })).body.error.param).toBe('fallbacks');
    expect((await adminRaw('POST', '/providers', { id: 'x1', kind: 'openai', color: 'red' })).body.error).toMatchObject({ param: 'color', message: "Unknown field 'color'." });
  });

  it('adds a new user to an existing account, whose balance they then share', async () => {
    const first = await gw.admin('POST', '/users', { email: 'owner@team.example', initialCredits: '5' });
    const second = await gw.admin('POST', '/users', { email: 'member@team.example', accountId: first.accountId, initialCredits: '1' });
    expect(second).toMatchObject({ accountId: first.accountId, accountName: 'owner@team.example', balanceMicros: '6000000' });
    expect(await gw.admin('GET', `/accounts/${first.accountId}`)).toMatchObject({ userCount: 2, balance: '6.000000' });
    const ghost = await adminRaw('POST', '/users', { email: 'ghost@team.example', accountId: '00000000-0000-4000-8000-000000000000' });
    expect([ghost.status, ghost.body.error.param]).toEqual([400, 'accountId']);
  });

  it('maps constraint violations to field errors without echoing database text', async () => {
    await gw.admin('POST', '/users', { email: 'dup@example.test' });
    const dup = await adminRaw('POST', '/users', { email: 'dup@example.test' });
    expect(dup.status).toBe(409);
    expect(dup.body.error).toMatchObject({ type: 'conflict_error', param: 'email', code: 'already_exists' });
    const noPlan = await adminRaw('POST', '/users', { email: 'ghost-plan@example.test', planId: 'ghost' });
    expect(noPlan.status).toBe(400);
    expect(noPlan.body.error).toMatchObject({ param: 'planId', code: 'reference_error' });
    const pinned = await gw.admin('POST', '/plans', { id: 'pinned', name: 'Pinned' });
    await gw.admin('POST', '/users', { email: 'pinned@example.test', planId: pinned.id });
    const inUse = await adminRaw('DELETE', '/plans/pinned');
    expect(inUse.status).toBe(409);
    expect(inUse.body.error).toMatchObject({ param: 'id', code: 'in_use' });
    const dupPlan = await adminRaw('POST', '/plans', { id: 'pinned', name: 'Again' });
    expect([dupPlan.status, dupPlan.body.error.param]).toEqual([409, 'id']);
    const badId = await adminRaw('GET', '/accounts/not-a-uuid');
    expect(badId.status).toBe(400);
    for (const r of [dup, noPlan, inUse, dupPlan, badId]) {
      expect(r.body.error.message).not.toMatch(/Key \(|table|constraint|violates|syntax|uuid|_key|_fkey/i);
    }
  });

  it('shows a new API key once; the key works; revoking it stops it at once on this instance', async () => {
    const { user, created, client } = await keyFor('Ada@Example.test');
    expect(user).toMatchObject({ email: 'ada@example.test', planId: 'default', balanceMicros: '5000000' });
    expect(created.key).toMatch(/^tg_[A-Za-z0-9_-]{43}$/);
    const listed = await gw.admin('GET', `/users/${user.id}/keys`);
    expect(JSON.stringify(listed)).not.toContain(created.key);
    expect(listed.data[0]).toMatchObject({ prefix: created.key.slice(0, 7), name: 'laptop', revokedAt: null });
    const [stored] = await db.query<{ key_hash: Buffer }>('SELECT key_hash FROM api_keys WHERE id = $1', [created.id]);
    expect(stored!.key_hash.length).toBe(32);

    const r = await client.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'hi' }] });
    expect(r.choices[0]!.message.content).toBe('Mock reply to: hi');
    await gw.admin('DELETE', `/keys/${created.id}`);
    const err = await client.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'hi' }] }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(err.error.code).toBe('api_key_revoked');
  });

  it('a key with an expiry stops working when it passes, although its verdict was cached', async () => {
    const user = await gw.admin('POST', '/users', { email: 'eve@example.test', initialCredits: '5' });
    const expiresAt = new Date(Date.now() + 1_500).toISOString();
    const created = await gw.admin('POST', `/users/${user.id}/keys`, { name: 'short-lived', expiresAt });
    const client = new OpenAI({ apiKey: created.key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    await client.models.list(); // authenticated, and the verdict cached
    await new Promise((r) => setTimeout(r, Math.max(0, new Date(expiresAt).getTime() - Date.now()) + 50));
    const err = await client.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'hi' }] }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(err.error.code).toBe('api_key_expired');
  });

  it('disabling a model makes it 404 and drops it from /v1/models', async () => {
    const { client } = await keyFor('bob@example.test');
    expect((await client.models.list()).data.map((m) => m.id)).toContain('fast');
    await gw.admin('PATCH', '/models/fast', { enabled: false });
    await expect(client.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'x' }] })).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    expect((await client.models.list()).data.map((m) => m.id)).not.toContain('fast');
    await gw.admin('PATCH', '/models/fast', { enabled: true });
  });

  it('creates plans and moves users between them; a disabled user gets 403', async () => {
    const plan = await gw.admin('POST', '/plans', { id: 'pro', name: 'Pro', rpm: 600, markupBps: 1500 });
    expect(plan).toMatchObject({ id: 'pro', rpm: 600, markupBps: 1500, userCount: 0 });
    const user = await gw.admin('POST', '/users', { email: 'carol@example.test', planId: 'pro' });
    const { key } = await gw.admin('POST', `/users/${user.id}/keys`, {});
    await gw.admin('PATCH', `/users/${user.id}`, { disabled: true });
    const res = await fetch(`${gw.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: { type: 'permission_error', code: 'user_disabled' } });
  });
});
