import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureAdminUiBuilt } from '../helpers/admin-ui-build.js';
import { LAPTOP, launchBrowser, offScreenControls, PHONE, screenshot, sidewaysOverflow, signedInPage } from '../helpers/browser.js';
import { createUserWithKey } from '../helpers/catalogue.js';
import { useGatewayHarness } from '../helpers/harness.js';

/** The panel's alerts page: a webhook (secret shown once), "Send test" with its delivery log, and an alert. */
// Run inside the page (the gateway's typecheck has no DOM library).
declare const getComputedStyle: any;

// The receiver listens on 127.0.0.1: an internal address, allowed here.
const h = useGatewayHarness({ env: { WEBHOOK_ALLOW_PRIVATE: 'true' } });
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let server: Server;
let url = '';
const received: { signature: string; timestamp: string; raw: string }[] = [];

beforeAll(async () => {
  await ensureAdminUiBuilt();
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ signature: String(req.headers['x-tollgate-signature']), timestamp: String(req.headers['x-tollgate-timestamp']), raw: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/tollgate`;
  const lin = await createUserWithKey(h.gw, { email: 'lin@alerts.example', credits: '40' });
  // A budget alert watches a cap: Lin's user has a daily one.
  await h.gw.admin('PATCH', `/users/${lin.user.id}/limits`, { caps: { day: '10' } });
  browser = await launchBrowser();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await new Promise((r) => server?.close(r));
});

describe('alerts page', () => {
  for (const size of [LAPTOP, PHONE]) {
    it(`adds a webhook, shows its secret once, sends a signed test, and adds a budget alert (${size.width}px)`, async () => {
      const page = await signedInPage(browser.context, h.gw.url, h.gw.adminToken, size);
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${h.gw.url}/admin/alerts`);
      await page.getByRole('heading', { level: 1, name: 'Alerts' }).waitFor();
      await page.getByRole('button', { name: 'Add webhook' }).click();
      let dialog = page.getByRole('dialog');
      await dialog.getByLabel('Name').fill(`ops ${size.width}`);
      await dialog.getByLabel('URL').fill(url);
      await dialog.getByRole('button', { name: 'Add webhook' }).click();
      const secret = await page.getByLabel('Signing secret', { exact: true }).inputValue();
      expect(secret).toMatch(/^whsec_/);
      await page.getByRole('button', { name: 'Done' }).click();
      const row = page.locator('tr', { hasText: `ops ${size.width}` });
      await row.getByText(`••••${secret.slice(-4)}`).waitFor();
      expect(await page.content()).not.toContain(secret);

      await row.getByRole('button', { name: 'Send test' }).click();
      await page.getByText('Test event delivered').waitFor();
      const got = received.at(-1)!;
      expect(got.signature).toBe(`v1=${createHmac('sha256', secret).update(`${got.timestamp}.${got.raw}`).digest('hex')}`);
      await page.locator('.card', { hasText: `Deliveries to ops ${size.width}` }).getByText('delivered').waitFor();

      await page.getByRole('button', { name: 'Add alert' }).click();
      dialog = page.getByRole('dialog');
      await dialog.getByLabel('User').selectOption({ label: 'lin@alerts.example' });
      await dialog.getByLabel('Thresholds').fill('50, 90');
      // Lin's user has a daily cap only: a monthly alert could never fire, and says so next to the field.
      await dialog.getByLabel('Cap', { exact: true }).selectOption('month');
      await dialog.getByRole('button', { name: 'Add alert' }).click();
      await expect.poll(() => dialog.locator('[data-field="period"] .field-error').textContent()).toMatch(/no monthly cap/);
      await dialog.getByLabel('Cap', { exact: true }).selectOption('day');
      await dialog.getByRole('button', { name: 'Add alert' }).click();
      await page.getByRole('cell', { name: "50, 90 % of the user's daily cap" }).first().waitFor();
      await screenshot(page, 'alerts');
      expect(await sidewaysOverflow(page)).toBeLessThanOrEqual(0);
      // Every webhook's and alert's buttons on screen, not in a box scrolling sideways.
      expect(await offScreenControls(page)).toEqual([]);
      if (size === PHONE) expect(await row.evaluateAll((trs) => trs.map((tr) => getComputedStyle(tr).display))).not.toContain('table-row');
      expect(errors).toEqual([]);
      await page.close();
    });
  }
});
