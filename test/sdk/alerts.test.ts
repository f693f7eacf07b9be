import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TollgateAdmin, verifyWebhook } from '../../src/sdk/index.js';
import type { TestGateway } from '../helpers/gateway.js';
import { useGatewayHarness } from '../helpers/harness.js';
import { sdkUser } from './support.js';

let gw: TestGateway;
// The receiver listens on 127.0.0.1: an internal address, allowed here.
useGatewayHarness({ env: { WEBHOOK_ALLOW_PRIVATE: 'true' } }, (h) => ({ gw } = h));

let server: Server;
let url = '';
const received: { raw: string; headers: IncomingHttpHeaders }[] = [];
beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ raw: Buffer.concat(chunks).toString('utf8'), headers: req.headers });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
});
afterAll(() => new Promise((r) => server?.close(r)));

describe('webhooks and alerts through the admin SDK', () => {
  it('creates a webhook (secret once), sends a test the receiver verifies with verifyWebhook, lists deliveries, manages alerts', async () => {
    const admin = new TollgateAdmin({ adminToken: gw.adminToken, baseURL: gw.url, maxRetries: 0 });
    const hook = await admin.webhooks.create({ name: 'sdk', url });
    expect(hook.secret).toMatch(/^whsec_/);
    expect((await admin.webhooks.list()).find((w) => w.id === hook.id)).toEqual({ id: hook.id, name: 'sdk', url, enabled: true, secretLast4: hook.secret.slice(-4), createdAt: hook.createdAt });

    const delivery = await admin.webhooks.test(hook.id);
    expect(delivery).toMatchObject({ webhookId: hook.id, eventType: 'test', state: 'delivered', lastStatus: 200 });
    const got = received.at(-1)!;
    expect(await verifyWebhook(hook.secret, got.raw, got.headers)).toBe(true);
    expect(JSON.parse(got.raw)).toMatchObject({ id: delivery.id, type: 'test' });
    expect((await admin.webhooks.deliveries(hook.id)).map((d) => d.id)).toEqual([delivery.id]);

    const rotated = await admin.webhooks.rotateSecret(hook.id);
    await admin.webhooks.test(hook.id);
    const next = received.at(-1)!;
    expect(await verifyWebhook(hook.secret, next.raw, next.headers)).toBe(false);
    expect(await verifyWebhook(rotated.secret, next.raw, next.headers)).toBe(true);

    const u = await sdkUser(gw, '5');
    await admin.keys.setLimits(u.keyId, { caps: { month: '4' } });
    const alert = await admin.alerts.create({ webhookId: hook.id, kind: 'budget', keyId: u.keyId, period: 'month', percents: [75] });
    expect(alert).toMatchObject({ kind: 'budget', keyId: u.keyId, userId: null, accountId: null, period: 'month', thresholds: ['75'], subject: expect.stringContaining(u.user.email) });
    const low = await admin.alerts.create({ webhookId: hook.id, kind: 'low_balance', accountId: u.accountId, below: ['2.5'] });
    expect(low).toMatchObject({ thresholds: ['2.500000'], subject: u.user.email });
    expect((await admin.alerts.list()).map((a) => a.id).sort()).toEqual([alert.id, low.id].sort());
    await admin.alerts.delete(alert.id);
    expect(await admin.webhooks.update(hook.id, { enabled: false })).toMatchObject({ enabled: false });
    await admin.webhooks.delete(hook.id);
    expect(await admin.alerts.list()).toEqual([]);
  });
});
