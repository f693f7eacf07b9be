import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { addDeployment, CHAT_MODELS, createUserWithKey } from '../helpers/catalogue.js';
import { useGatewayHarness } from '../helpers/harness.js';
import { injectFault } from '../helpers/mock-control.js';
import { waitFor } from '../helpers/wait.js';

/**
 * The admin request log and what is built on it: the account ledger's paging, requests that failed
 * at a provider counted under that provider (health, usage by provider), breaker rows that say
 * when and why they opened, the message a failed request's client received, and the log's filters.
 */
const h = useGatewayHarness({
  env: { RETRY_MAX: '1', RETRY_BASE_DELAY_MS: '5', RETRY_MAX_DELAY_MS: '20', BREAKER_MIN_REQUESTS: '3', BREAKER_ERROR_PERCENT: '50', BREAKER_RESET_MS: '600000' },
});

async function adminRaw(path: string) {
  const res = await fetch(`${h.gw.url}/admin/api${path}`, { headers: { authorization: `Bearer ${h.gw.adminToken}` } });
  return { status: res.status, body: (await res.json()) as any };
}

/** Every page of a paged admin list, following `nextBefore`. */
async function allPages(path: string): Promise<any[]> {
  const rows: any[] = [];
  let before: string | null = null;
  for (let pages = 0; pages < 100; pages++) {
    const page: any = await h.gw.admin('GET', `${path}${path.includes('?') ? '&' : '?'}${before ? `before=${encodeURIComponent(before)}` : ''}`);
    rows.push(...page.data);
    before = page.nextBefore;
    if (!before) return rows;
  }
  throw new Error('more than 100 pages');
}

describe('the account ledger', () => {
  it('pages newest first by entry id, each entry once (ids past 99 sort as numbers, not text)', async () => {
    const { accountId } = await createUserWithKey(h.gw, { credits: '1' });
    for (let i = 0; i < 153; i++) await h.gw.admin('POST', `/accounts/${accountId}/grants`, { amount: '0.000001', note: `grant ${i}` });
    const entries = await allPages(`/accounts/${accountId}/ledger?limit=50`);
    expect(entries).toHaveLength(154);
    const ids = entries.map((e) => BigInt(e.id));
    expect(new Set(ids).size).toBe(154);
    for (let i = 1; i < ids.length; i++) expect(ids[i]! < ids[i - 1]!).toBe(true);
    expect(entries[0].note).toBe('grant 152');
    expect(entries.at(-1).note).toBe('initial credits');
  });
});

describe('requests that failed at a provider', () => {
  let failedId: string;
  let clientMessage: string;

  it('are logged under that provider with the message their client received', async () => {
    const model = await addDeployment(h.gw, h.mock, 'overloaded', { kind: 'anthropic' });
    await injectFault(h.mock, { provider: 'anthropic', model: 'overloaded-upstream', times: 0, fault: { type: 'status', status: 529, message: 'Overloaded' } });
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${h.gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${h.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model, messages: [{ role: 'user', content: `try ${i}` }] }),
      });
      expect(res.status).toBeGreaterThanOrEqual(500);
      failedId = res.headers.get('x-request-id')!;
      clientMessage = ((await res.json()) as any).error.message;
    }
    expect(clientMessage).toBeTruthy();

    const log = (await h.gw.admin('GET', `/requests?provider=overloaded`)) as any;
    expect(log.data).toHaveLength(3);
    expect(log.data.every((r: any) => r.provider === 'overloaded' && r.status >= 500)).toBe(true);
    const row = log.data.find((r: any) => r.id === failedId);
    expect(row).toMatchObject({ errorMessage: clientMessage, model });
    expect((await h.gw.admin('GET', `/requests/${failedId}`)).errorMessage).toBe(clientMessage);
  });

  it('count as that provider’s errors on the health page and in usage by provider', async () => {
    const health = (await h.gw.admin('GET', '/health')) as any;
    expect(health.providers.find((p: any) => p.provider === 'overloaded')).toMatchObject({ requests: 3, errors: 3, errorRate: 1 });
    const usage = (await h.gw.admin('GET', '/stats/usage?groupBy=provider')) as any;
    expect(usage.groups.find((g: any) => g.key === 'overloaded')).toMatchObject({ requests: 3, errors: 3 });
    expect(usage.groups.map((g: any) => g.key)).not.toContain('none');
  });

  it('count as that provider’s errors on the health page also when a fallback served the request', async () => {
    const healthy = await addDeployment(h.gw, h.mock, 'steady');
    const model = await addDeployment(h.gw, h.mock, 'shaky', { kind: 'anthropic', fallbacks: [healthy] });
    await injectFault(h.mock, { provider: 'anthropic', model: 'shaky-upstream', times: 0, fault: { type: 'status', status: 529, message: 'Overloaded' } });
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${h.gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${h.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model, messages: [{ role: 'user', content: `fall back ${i}` }] }),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-tollgate-provider')).toBe('steady');
    }
    // Settlements (and so the request log) are written by the settlers, a moment after the answers.
    const health = await waitFor(async () => {
      const hh = (await h.gw.admin('GET', '/health')) as any;
      return hh.providers.find((p: any) => p.provider === 'steady')?.requests === 2 && hh;
    }, { what: 'both requests in the request log' });
    const shaky = health.providers.find((p: any) => p.provider === 'shaky');
    expect(shaky).toMatchObject({ errorRate: 1 });
    expect(shaky.errors).toBeGreaterThanOrEqual(2);
    expect(shaky.requests).toBe(shaky.errors);
    expect(health.providers.find((p: any) => p.provider === 'steady')).toMatchObject({ requests: 2, errors: 0 });
  });

  it('open a breaker whose row says when and why it opened and when it probes next', async () => {
    const health = (await h.gw.admin('GET', '/health')) as any;
    const breaker = health.breakers.find((b: any) => b.provider === 'overloaded');
    expect(breaker).toMatchObject({ state: 'open' });
    expect(breaker.failures).toBeGreaterThanOrEqual(3);
    expect(breaker.openReason).toMatch(/529|overloaded/i);
    const openedAt = Date.parse(breaker.openedAt);
    expect(openedAt).toBeGreaterThan(Date.now() - 120_000);
    expect(Date.parse(breaker.nextProbeAt) - openedAt).toBe(600_000);
    expect(breaker.lastFailureAt).toBeTruthy();
  });
});

describe('the request log', () => {
  it('filters by user, key, model, provider, status, tag and time, and finds a request by id', async () => {
    const other = await createUserWithKey(h.gw, { email: 'filters@example.test', credits: '5' });
    const client = new OpenAI({ apiKey: other.key, baseURL: `${h.gw.url}/v1`, maxRetries: 0 });
    const t0 = new Date().toISOString();
    await client.chat.completions.create({ model: CHAT_MODELS.openai, messages: [{ role: 'user', content: 'a' }] }, { headers: { 'x-tollgate-tags': 'team=search' } });
    const second = await client.chat.completions.create({ model: CHAT_MODELS.mistral, messages: [{ role: 'user', content: 'b' }] }).withResponse();
    await client.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'c' }] }).catch(() => undefined);
    const secondId = second.response.headers.get('x-request-id')!;

    const mine = (q: string) => h.gw.admin('GET', `/requests?userId=${other.user.id}${q}`).then((p: any) => p.data as any[]);
    expect(await mine('')).toHaveLength(3);
    expect(await mine(`&keyId=${other.keyId}`)).toHaveLength(3);
    expect((await h.gw.admin('GET', `/requests?keyId=${other.keyId}`)).data).toHaveLength(3);
    expect((await mine(`&model=${CHAT_MODELS.mistral}`)).map((r) => r.id)).toEqual([secondId]);
    expect((await mine('&provider=openai')).map((r) => r.model)).toEqual([CHAT_MODELS.openai]);
    expect((await mine('&status=error')).map((r) => r.status)).toEqual([404]);
    expect((await mine('&status=404')).map((r) => r.errorCode)).toEqual(['model_not_found']);
    // A class of statuses: any client error, any server error (500–599, 529 overloaded among them).
    expect((await mine('&status=4xx')).map((r) => r.status)).toEqual([404]);
    expect(await mine('&status=5xx')).toEqual([]);
    expect(await mine('&status=2xx')).toHaveLength(2);
    expect((await mine('&tag=team:search')).map((r) => r.model)).toEqual([CHAT_MODELS.openai]);
    expect(await mine(`&from=${encodeURIComponent(t0)}`)).toHaveLength(3);
    expect(await mine(`&to=${encodeURIComponent(t0)}`)).toHaveLength(0);
    expect((await h.gw.admin('GET', `/requests?q=${secondId}`)).data.map((r: any) => r.id)).toEqual([secondId]);
    expect((await h.gw.admin('GET', `/requests?q=${secondId.slice(0, -1)}`)).data.map((r: any) => r.id)).toContain(secondId);
    expect((await mine('&status=404')).at(0).errorMessage).toMatch(/no-such-model/);
  });

  it('pages through requests that started in the same millisecond without skipping or repeating any', async () => {
    const { user } = await createUserWithKey(h.gw, { credits: '1' });
    await h.db.query(
      `INSERT INTO requests (id, account_id, user_id, endpoint, status, started_at)
       SELECT 'same-ms-' || g, $1, $2, '/v1/chat/completions', 200, '2026-01-01T00:00:00.000Z' FROM generate_series(1, 25) g`,
      [user.accountId, user.id],
    );
    const rows = await allPages(`/requests?userId=${user.id}&limit=10`);
    expect(rows.map((r) => r.id).sort()).toEqual(Array.from({ length: 25 }, (_, i) => `same-ms-${i + 1}`).sort());
  });

  it('names the bad filter', async () => {
    expect((await adminRaw('/requests?status=teapot')).body.error.param).toBe('status');
    expect((await adminRaw('/requests?tag=nocolon')).body.error.param).toBe('tag');
    expect((await adminRaw('/requests?from=soon')).body.error.param).toBe('from');
    expect((await adminRaw('/requests?before=garbage')).body.error.param).toBe('before');
    expect((await adminRaw('/requests?userId=not-a-uuid')).status).toBe(400);
  });
});
