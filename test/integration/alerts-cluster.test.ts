import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../helpers/cluster.js';
import { CHAT_MODELS, seedMockCatalogue } from '../helpers/catalogue.js';
import type { TestGateway } from '../helpers/gateway.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Alerts across three gateway processes that all evaluate them: each threshold fires once per
 * period, delivered to a local HTTP server that checks every signature; failed attempts are
 * retried with backoff; the test button; the secret shown once and stored sealed.
 */

interface Receipt {
  deliveryId: string;
  event: string;
  verified: boolean;
  status: number;
  body: any;
  at: number;
}

/** A webhook target: verifies the signature (HMAC-SHA256 over "<timestamp>.<raw body>") with the secret it is given. */
class Receiver {
  readonly receipts: Receipt[] = [];
  secret = '';
  /** Delivery ids whose first attempt is answered 500 (to see them retried). */
  failFirst = true;
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const deliveryId = String(req.headers['x-tollgate-delivery']);
        const seen = this.receipts.some((r) => r.deliveryId === deliveryId);
        const status = this.failFirst && !seen && req.headers['x-tollgate-event'] !== 'test' ? 500 : 200;
        this.receipts.push({
          deliveryId,
          event: String(req.headers['x-tollgate-event']),
          verified: verify(this.secret, String(req.headers['x-tollgate-timestamp']), raw, String(req.headers['x-tollgate-signature'])),
          status,
          body: JSON.parse(raw),
          at: Date.now(),
        });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks/tollgate`;
  }

  delivered(event: string): Receipt[] {
    return this.receipts.filter((r) => r.event === event && r.status === 200);
  }

  close(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
}

function verify(secret: string, timestamp: string, raw: string, signature: string): boolean {
  const expected = Buffer.from(`v1=${createHmac('sha256', secret).update(`${timestamp}.${raw}`).digest('hex')}`);
  const got = Buffer.from(signature);
  return Math.abs(Date.now() / 1000 - Number(timestamp)) < 300 && got.length === expected.length && timingSafeEqual(got, expected);
}

let cluster: Cluster;
const receiver = new Receiver();
const admin = <T = any>(method: string, path: string, body?: unknown) => cluster.admin<T>(cluster.nodes[0]!, method, path, body);

beforeAll(async () => {
  await receiver.start();
  cluster = await startCluster(3, { env: { WEBHOOK_ALLOW_PRIVATE: 'true', ALERT_CHECK_INTERVAL_MS: '50', WEBHOOK_RETRY_BASE_MS: '100', WEBHOOK_MAX_ATTEMPTS: '3', WEBHOOK_TIMEOUT_MS: '2000' } });
  await seedMockCatalogue({ admin } as unknown as TestGateway, cluster.mock);
}, 240_000);

afterAll(async () => {
  await cluster?.close();
  await receiver.close();
});

describe('alerts across three instances', () => {
  it('each threshold fires once per period, signed, and a failed attempt is retried with backoff', async () => {
    const hook = await admin('POST', '/webhooks', { name: 'ops', url: receiver.url });
    receiver.secret = hook.secret;
    expect(hook.secret).toMatch(/^whsec_/);
    expect(hook.secretLast4).toBe(hook.secret.slice(-4));
    // Shown once: listed masked, stored sealed.
    const listed = await admin('GET', '/webhooks');
    expect(JSON.stringify(listed)).not.toContain(hook.secret);
    const [stored] = await cluster.db.query<{ secret_encrypted: string }>('SELECT secret_encrypted FROM webhooks WHERE id = $1', [hook.id]);
    expect(stored!.secret_encrypted).not.toContain(hook.secret.slice(6));

    const user = await admin('POST', '/users', { email: 'alerts@example.test', initialCredits: '0.001' });
    const key = await admin('POST', `/users/${user.id}/keys`, { name: 'k' });
    await admin('PATCH', `/keys/${key.id}/limits`, { caps: { day: '0.0005' } });
    const budgetAlert = await admin('POST', '/alerts', { webhookId: hook.id, kind: 'budget', keyId: key.id, period: 'day', percents: [50, 80, 100] });
    expect(budgetAlert.thresholds).toEqual(['50', '80', '100']);
    const lowAlert = await admin('POST', '/alerts', { webhookId: hook.id, kind: 'low_balance', accountId: user.accountId, below: ['0.0008', '0.0001'] });
    expect(lowAlert.thresholds).toEqual(['0.000800', '0.000100']);

    // Spend 42 µ a request, on every instance in turn, until the day cap (500 µ) refuses.
    const body = JSON.stringify({ model: CHAT_MODELS.openai, max_tokens: 20, messages: [{ role: 'user', content: 'go [[reply:20]]' }] });
    let status = 200;
    for (let i = 0; status === 200; i++) {
      const res = await fetch(`${cluster.nodes[i % 3]!.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' }, body });
      status = res.status;
      await res.arrayBuffer();
    }
    expect(status).toBe(402);

    // 50 % and 80 % of the cap; 100 %: spend stops just under the cap (the next request's least
    // cost does not fit), and the refusal is what says the cap is reached; and the balance below
    // 0.0008: four alerts, each delivered once.
    await waitFor(() => receiver.delivered('alert.budget').length === 3 && receiver.delivered('alert.low_balance').length === 1, { what: 'four alert deliveries' });
    const budget = receiver.delivered('alert.budget').map((r) => r.body.data);
    expect(budget.map((d) => d.threshold_percent).sort((a, b) => a - b)).toEqual([50, 80, 100]);
    expect(budget[0]).toMatchObject({ alert_id: budgetAlert.id, scope: 'key', api_key_id: key.id, period: 'day', limit: '0.000500' });
    const reached = budget.find((d) => d.threshold_percent === 100)!;
    expect(reached.cap_reached).toBe(true);
    expect(BigInt(reached.spent_microcredits)).toBeLessThan(500n);
    expect(receiver.delivered('alert.low_balance')[0]!.body).toMatchObject({ type: 'alert.low_balance', data: { account_id: user.accountId, threshold: '0.000800' } });
    expect(receiver.receipts.every((r) => r.verified)).toBe(true);

    // Each delivery failed once (500) and succeeded on its retry, at least half the base backoff later.
    for (const r of receiver.receipts.filter((x) => x.status === 200)) {
      const first = receiver.receipts.find((x) => x.deliveryId === r.deliveryId)!;
      expect(first.status).toBe(500);
      expect(r.at - first.at).toBeGreaterThanOrEqual(50);
    }
    // A delivery is recorded once its sender has the answer, a moment after the receiver has it.
    const log = await waitFor(async () => {
      const l = await admin('GET', `/webhooks/${hook.id}/deliveries`);
      return l.data.length === 4 && l.data.every((d: { state: string }) => d.state === 'delivered') && l;
    }, { what: 'the four deliveries recorded as delivered' });
    expect(log.data).toHaveLength(4);
    for (const d of log.data) expect(d).toMatchObject({ state: 'delivered', attempts: 2, lastStatus: 200, lastError: null });

    // However many rounds the three instances run from now on, nothing fires again this period: a
    // probe alert that fires at once shows rounds ran after the others fired.
    await admin('POST', '/alerts', { webhookId: hook.id, kind: 'low_balance', accountId: user.accountId, below: ['100'] });
    const lowAt = (threshold: string) => receiver.delivered('alert.low_balance').filter((r) => r.body.data.threshold === threshold);
    await waitFor(() => lowAt('100.000000').length === 1, { what: 'the probe alert' });
    await waitFor(async () => (await cluster.db.query("SELECT 1 FROM webhook_deliveries WHERE state = 'pending'")).length === 0, { what: 'no pending delivery' });
    expect(await cluster.db.query('SELECT count(*)::int AS n FROM alert_firings')).toEqual([{ n: 5 }]);
    expect(receiver.delivered('alert.budget')).toHaveLength(3);
    expect(lowAt('0.000800')).toHaveLength(1);

    // Funding the account re-arms the low-balance alert: falling below again fires again.
    await admin('POST', `/accounts/${user.accountId}/grants`, { amount: '0.001' });
    await admin('POST', `/accounts/${user.accountId}/adjustments`, { amount: '-0.00095' });
    await waitFor(() => lowAt('0.000800').length === 2, { what: 'the re-armed low-balance alert' });
    expect(new Set(lowAt('0.000800').map((r) => r.body.data.period_key)).size).toBe(2);
    expect(receiver.receipts.every((r) => r.verified)).toBe(true);
  }, 120_000);

  it('"send test" delivers a signed test event at once; a target that never answers is given up after WEBHOOK_MAX_ATTEMPTS', async () => {
    const hook = await admin('POST', '/webhooks', { url: receiver.url });
    receiver.secret = hook.secret;
    const sent = await admin('POST', `/webhooks/${hook.id}/test`);
    expect(sent).toMatchObject({ eventType: 'test', state: 'delivered', attempts: 1, lastStatus: 200 });
    const got = receiver.receipts.find((r) => r.deliveryId === sent.id)!;
    expect(got.verified).toBe(true);
    expect(got.body).toMatchObject({ id: sent.id, type: 'test' });
    // Signed with the rotated secret from then on; the old one no longer verifies.
    const rotated = await admin('POST', `/webhooks/${hook.id}/secret`);
    expect(rotated.secret).not.toBe(hook.secret);
    const again = await admin('POST', `/webhooks/${hook.id}/test`);
    expect(receiver.receipts.find((r) => r.deliveryId === again.id)!.verified).toBe(false);

    const dead = await admin('POST', '/webhooks', { url: 'http://127.0.0.1:9/nobody-listens' });
    const first = await admin('POST', `/webhooks/${dead.id}/test`);
    expect(first).toMatchObject({ state: 'pending', attempts: 1, lastStatus: null });
    expect(first.lastError).toBeTruthy();
    const final = await waitFor(async () => (await admin('GET', `/webhooks/${dead.id}/deliveries`)).data.find((d: any) => d.state === 'failed'), { what: 'the delivery to be given up' });
    expect(final).toMatchObject({ attempts: 3, nextAttemptAt: null });
  }, 60_000);

  it('refuses alerts that mix kinds or name nothing to watch', async () => {
    const hook = await admin('POST', '/webhooks', { url: receiver.url });
    const fail = (body: unknown) => admin('POST', '/alerts', body).catch((e: Error) => e.message);
    expect(await fail({ webhookId: hook.id, kind: 'budget', period: 'day', percents: [50] })).toMatch(/400.*"param":"keyId"/);
    expect(await fail({ webhookId: hook.id, kind: 'low_balance', accountId: hook.id })).toMatch(/400.*"param":"below"/);
    expect(await fail({ webhookId: hook.id, kind: 'low_balance', accountId: '00000000-0000-0000-0000-000000000000', below: ['1'] })).toMatch(/400.*"param":"accountId"/);
    expect(await fail({ webhookId: hook.id, kind: 'budget', userId: hook.id, period: 'week', percents: [50] })).toMatch(/400.*"param":"period"/);
    // A budget alert watches a cap: on a key or user with no cap for that period it could never fire.
    const user = await admin('POST', '/users', { email: 'uncapped@example.test', initialCredits: '1' });
    const key = await admin('POST', `/users/${user.id}/keys`, { name: 'k' });
    expect(await fail({ webhookId: hook.id, kind: 'budget', keyId: key.id, period: 'day', percents: [50] })).toMatch(/400(?=.*"param":"keyId")(?=.*no spend cap)/);
    expect(await fail({ webhookId: hook.id, kind: 'budget', userId: user.id, period: 'month', percents: [50] })).toMatch(/400(?=.*"param":"userId")(?=.*no spend cap)/);
    await admin('PATCH', `/keys/${key.id}/limits`, { caps: { month: '1' } });
    expect(await fail({ webhookId: hook.id, kind: 'budget', keyId: key.id, period: 'day', percents: [50] })).toMatch(/400(?=.*"param":"period")(?=.*monthly)/);
    expect(await admin('POST', '/alerts', { webhookId: hook.id, kind: 'budget', keyId: key.id, period: 'month', percents: [50] })).toMatchObject({ keyId: key.id, period: 'month' });
    expect(await fail({ webhookId: hook.id, kind: 'budget', keyId: '00000000-0000-0000-0000-000000000000', period: 'day', percents: [50] })).toMatch(/400.*"param":"keyId"/);
    expect(await admin('POST', '/webhooks', { url: 'ftp://example.test/x' }).catch((e: Error) => e.message)).toMatch(/400.*"param":"url"/);
  });
});
