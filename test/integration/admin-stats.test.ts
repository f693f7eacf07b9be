import { describe, expect, it } from 'vitest';
import { CHAT_MODELS, createUserWithKey } from '../helpers/catalogue.js';
import { useGatewayHarness } from '../helpers/harness.js';
import OpenAI from 'openai';

const h = useGatewayHarness();

async function adminRaw(path: string) {
  const res = await fetch(`${h.gw.url}/admin/api${path}`, { headers: { authorization: `Bearer ${h.gw.adminToken}` } });
  return { status: res.status, body: (await res.json()) as any };
}

describe('admin usage statistics, request log and key listing', () => {
  let second: Awaited<ReturnType<typeof createUserWithKey>>;

  it('buckets requests, tokens and spend over time, grouped by model, provider or user', async () => {
    second = await createUserWithKey(h.gw, { email: 'grace@example.test', credits: '10' });
    const other = new OpenAI({ apiKey: second.key, baseURL: `${h.gw.url}/v1`, maxRetries: 0 });
    await h.client.chat.completions.create({ model: CHAT_MODELS.openai, messages: [{ role: 'user', content: 'one' }] });
    await h.client.chat.completions.create({ model: CHAT_MODELS.anthropic, messages: [{ role: 'user', content: 'two' }] });
    await other.chat.completions.create({ model: CHAT_MODELS.openai, messages: [{ role: 'user', content: 'three' }] });
    await h.client.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] }).catch(() => undefined);

    const byModel = (await h.gw.admin('GET', '/stats/usage?groupBy=model')) as any;
    expect(byModel).toMatchObject({ bucket: 'day', groupBy: 'model' });
    expect(byModel.series).toHaveLength(8); // 7 days back from now, aligned to whole UTC days
    expect(byModel.totals.requests).toBeGreaterThanOrEqual(3);
    const openai = byModel.groups.find((g: any) => g.key === CHAT_MODELS.openai);
    expect(openai).toMatchObject({ requests: 2, errors: 0 });
    expect(Number(openai.cost)).toBeGreaterThan(0);
    const today = byModel.series.at(-1);
    expect(today.values[CHAT_MODELS.openai]).toMatchObject({ requests: 2, cost: openai.cost });
    expect(byModel.series.slice(0, -1).every((p: any) => Object.keys(p.values).length === 0)).toBe(true);

    const hourly = (await h.gw.admin('GET', `/stats/usage?groupBy=provider&from=${new Date(Date.now() - 6 * 3_600_000).toISOString()}`)) as any;
    expect(hourly.bucket).toBe('hour');
    expect(hourly.series.length).toBeGreaterThanOrEqual(6);
    expect(hourly.groups.map((g: any) => g.key)).toEqual(expect.arrayContaining(['openai', 'anthropic']));

    const byUser = (await h.gw.admin('GET', '/stats/usage?groupBy=user')) as any;
    expect(byUser.groups.find((g: any) => g.key === second.user.id)).toMatchObject({ label: 'grace@example.test', requests: 1 });
    const oneUser = (await h.gw.admin('GET', `/stats/usage?userId=${second.user.id}`)) as any;
    expect(oneUser.totals.requests).toBe(1);
  });

  it('folds groups past `top` into "other" and keeps totals exact', async () => {
    const s = (await h.gw.admin('GET', '/stats/usage?groupBy=model&top=1')) as any;
    expect(s.groups).toHaveLength(2);
    expect(s.groups[1]).toMatchObject({ key: '__other__', label: 'Other' });
    const sum = s.groups.reduce((a: bigint, g: any) => a + BigInt(g.costMicros), 0n);
    expect(sum.toString()).toBe(s.totals.costMicros);
  });

  it('names the bad parameter', async () => {
    expect((await adminRaw('/stats/usage?groupBy=colour')).body.error.param).toBe('groupBy');
    expect((await adminRaw('/stats/usage?from=yesterday')).body.error.param).toBe('from');
    const tooMany = await adminRaw(`/stats/usage?bucket=hour&from=${new Date(Date.now() - 90 * 86_400_000).toISOString()}`);
    expect([tooMany.status, tooMany.body.error.param]).toEqual([400, 'bucket']);
    expect((await adminRaw('/requests?status=weird')).body.error.param).toBe('status');
    expect((await adminRaw('/keys?status=weird')).body.error.param).toBe('status');
  });

  it('lists the request log newest first with cost, user and key, filtered and paged', async () => {
    const all = (await h.gw.admin('GET', '/requests?limit=2')) as any;
    expect(all.data).toHaveLength(2);
    // nextBefore is a cursor past the page's last request: the next page starts after it.
    const next = (await h.gw.admin('GET', `/requests?limit=2&before=${encodeURIComponent(all.nextBefore)}`)) as any;
    expect(next.data[0].id).not.toBe(all.data[1].id);
    expect(Date.parse(next.data[0].startedAt)).toBeLessThanOrEqual(Date.parse(all.data[1].startedAt));
    const mine = (await h.gw.admin('GET', `/requests?userId=${second.user.id}`)) as any;
    expect(mine.data).toHaveLength(1);
    expect(mine.data[0]).toMatchObject({ model: CHAT_MODELS.openai, provider: 'openai', status: 200, userEmail: 'grace@example.test', keyName: 'test' });
    expect(mine.data[0].cost).toMatch(/^\d+\.\d{6}$/);
    expect(mine.nextBefore).toBeNull();
    const errors = (await h.gw.admin('GET', '/requests?status=error')) as any;
    expect(errors.data.length).toBeGreaterThanOrEqual(1);
    expect(errors.data.every((r: any) => r.status >= 400 || r.status === 0)).toBe(true);

    const one = (await h.gw.admin('GET', `/requests/${mine.data[0].id}`)) as any;
    expect(one).toMatchObject({ id: mine.data[0].id, cost: mine.data[0].cost });
    expect(one.attempts).toHaveLength(1);
    expect((await adminRaw('/requests/nope')).status).toBe(404);
  });

  it('lists every API key with its owner, by status and search, never the secret', async () => {
    await h.gw.admin('DELETE', `/keys/${second.keyId}`);
    const all = (await h.gw.admin('GET', '/keys')) as any;
    expect(all.data.length).toBeGreaterThanOrEqual(2);
    expect(JSON.stringify(all)).not.toContain(second.key);
    const revoked = (await h.gw.admin('GET', '/keys?status=revoked')) as any;
    expect(revoked.data.map((k: any) => k.id)).toEqual([second.keyId]);
    expect(revoked.data[0]).toMatchObject({ userEmail: 'grace@example.test', userId: second.user.id });
    const active = (await h.gw.admin('GET', '/keys?status=active')) as any;
    expect(active.data.map((k: any) => k.id)).not.toContain(second.keyId);
    expect(((await h.gw.admin('GET', '/keys?q=grace')) as any).data).toHaveLength(1);
  });
});
