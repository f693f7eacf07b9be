import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useGatewayHarness } from '../helpers/harness.js';

/**
 * Webhook targets inside the gateway's own network are refused (WEBHOOK_ALLOW_PRIVATE unset):
 * anyone with the billing role could otherwise point a webhook at an internal service and read
 * its answers' statuses in the delivery log. Checked when a webhook is created or changed, and
 * again at every delivery, against the address actually connected to (a name that resolves
 * elsewhere later, DNS rebinding, or a row written before the rule).
 */
const h = useGatewayHarness({ seed: false });
let server: Server;
let port = 0;
let hits = 0;

beforeAll(async () => {
  server = createServer((_req, res) => {
    hits++;
    res.writeHead(204).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise((r) => server?.close(r)));

const raw = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${h.gw.url}/admin/api${path}`, {
    method,
    headers: { authorization: `Bearer ${h.gw.adminToken}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json().catch(() => undefined)) as any };
};

describe('webhook targets', () => {
  it('refuses loopback, private, link-local and other internal addresses with a 400 naming url', async () => {
    for (const url of [
      `http://127.0.0.1:${port}/hook`,
      'http://localhost:8080/hook',
      'http://api.localhost/hook',
      'http://10.0.0.5/hook',
      'http://172.16.3.4/hook',
      'http://192.168.1.1/hook',
      'http://169.254.169.254/latest/meta-data',
      'http://100.64.0.1/hook',
      'http://0.0.0.0/hook',
      'http://[::1]/hook',
      'http://[fd00::1]/hook',
      'http://[fe80::1]/hook',
      'http://[::ffff:127.0.0.1]/hook',
      'http://2130706433/hook',
    ]) {
      const res = await raw('POST', '/webhooks', { url });
      expect(res.status, url).toBe(400);
      expect(res.body.error, url).toMatchObject({ param: 'url', message: expect.stringMatching(/internal|private/i) });
    }
    const ok = await raw('POST', '/webhooks', { url: 'https://93.184.215.14/hook' });
    expect(ok.status).toBe(201);
    const moved = await raw('PATCH', `/webhooks/${ok.body.id}`, { url: 'http://10.1.1.1/hook' });
    expect(moved.status).toBe(400);
    expect(moved.body.error.param).toBe('url');
  });

  it('refuses a delivery whose target is (or now resolves to) an internal address, saying why in the log', async () => {
    const ok = await raw('POST', '/webhooks', { url: 'https://93.184.215.14/hook' });
    for (const url of [`http://127.0.0.1:${port}/hook`, `http://localhost:${port}/hook`]) {
      // As a row written before the rule, or a name that resolved to a public address when it was saved.
      await h.db.query('UPDATE webhooks SET url = $2 WHERE id = $1', [ok.body.id, url]);
      const sent = await raw('POST', `/webhooks/${ok.body.id}/test`);
      expect(sent.status).toBe(200);
      expect(sent.body).toMatchObject({ state: 'pending', lastStatus: null, lastError: expect.stringMatching(/internal/i) });
    }
    expect(hits).toBe(0);
  });
});
