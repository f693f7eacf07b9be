import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureAdminUiBuilt } from '../helpers/admin-ui-build.js';
import { DESKTOP, launchBrowser, offScreenControls, PHONE, screenshot, sidewaysOverflow, signedInPage } from '../helpers/browser.js';
import { CHAT_MODELS, createUserWithKey } from '../helpers/catalogue.js';
import { useGatewayHarness } from '../helpers/harness.js';

/**
 * The pages and dialogs added with spend controls and the admin team (Alerts, Audit log, Team,
 * Playground, a user's spend caps and a key's limits dialog) in light and dark mode, on a desktop
 * and a phone: screenshots (test-artifacts/admin-ui/<name>-<scheme>-<width>.png), nothing off
 * screen, and in dark mode no bright patch (a background or field the dark palette missed).
 */
// The receiver listens on 127.0.0.1: an internal address, allowed here.
const h = useGatewayHarness({ env: { WEBHOOK_ALLOW_PRIVATE: 'true' } });
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let server: Server;
let ada: Awaited<ReturnType<typeof createUserWithKey>>;

beforeAll(async () => {
  await ensureAdminUiBuilt();
  server = createServer((_req, res) => res.writeHead(204).end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/tollgate`;
  ada = await createUserWithKey(h.gw, { email: 'ada@dark.example', credits: '50' });
  await h.gw.admin('PATCH', `/users/${ada.user.id}/limits`, { caps: { month: '0.001', lifetime: '20' } });
  await h.gw.admin('PATCH', `/keys/${ada.keyId}/limits`, { caps: { day: '2.5' }, allowedModels: [CHAT_MODELS.openai] });
  await h.client.chat.completions.create({ model: CHAT_MODELS.openai, messages: [{ role: 'user', content: 'hello' }] });
  const hook = await h.gw.admin('POST', '/webhooks', { name: 'ops', url });
  await h.gw.admin('POST', `/webhooks/${hook.id}/test`);
  const dead = await h.gw.admin('POST', '/webhooks', { name: 'nobody listens', url: 'http://127.0.0.1:9/hook' });
  await h.gw.admin('POST', `/webhooks/${dead.id}/test`);
  await h.gw.admin('POST', '/alerts', { webhookId: hook.id, kind: 'budget', userId: ada.user.id, period: 'month', percents: [50, 80, 100] });
  await h.gw.admin('POST', '/alerts', { webhookId: hook.id, kind: 'low_balance', accountId: ada.accountId, below: ['10'] });
  await h.gw.admin('POST', '/team', { email: 'olive@dark.example', name: 'Olive Owner', role: 'owner', password: 'owner password 1234' });
  await h.gw.admin('POST', '/team', { email: 'vic@dark.example', role: 'viewer', password: 'viewer password 1234' });
  browser = await launchBrowser();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await new Promise((r) => server?.close(r));
});

async function open(page: Page, path: string, title: string | RegExp) {
  await page.goto(`${h.gw.url}/admin${path}`);
  await page.getByRole('heading', { level: 1, name: title }).waitFor();
  await page.locator('.loading').first().waitFor({ state: 'detached' }).catch(() => undefined);
}

/**
 * Visible elements wider or taller than a switch's knob (a bar counts) whose own background is bright (luminance above
 * 0.6): in dark mode, a surface the dark palette did not reach.
 */
const brightPatches = (page: Page) =>
  page.evaluate<string[]>(`(() => {
    const out = [];
    const lin = (c) => (c /= 255) <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    for (const el of document.querySelectorAll('body *')) {
      const r = el.getBoundingClientRect();
      if (r.width < 24 && r.height < 24) continue;
      const m = getComputedStyle(el).backgroundColor.match(/[\\d.]+/g);
      if (!m || (m[3] !== undefined && Number(m[3]) < 0.5)) continue;
      const [red, green, blue] = m.map(Number);
      if (0.2126 * lin(red) + 0.7152 * lin(green) + 0.0722 * lin(blue) > 0.6) out.push(el.tagName.toLowerCase() + '.' + String(el.className).split(' ').join('.') + ' ' + getComputedStyle(el).backgroundColor);
    }
    return out;
  })()`);

describe('light and dark mode: alerts, audit, team, playground and spend caps', () => {
  for (const scheme of ['light', 'dark'] as const) {
    for (const size of [DESKTOP, PHONE]) {
      it(`renders in ${scheme} mode at ${size.width}px with everything on screen`, async () => {
        const page = await signedInPage(browser.context, h.gw.url, h.gw.adminToken, size);
        await page.emulateMedia({ colorScheme: scheme });
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(e.message));
        const check = async (name: string) => {
          await page.waitForTimeout(100);
          await screenshot(page, `${name}-${scheme}`);
          expect(await sidewaysOverflow(page), `${name} scrolls sideways`).toBeLessThanOrEqual(0);
          expect(await offScreenControls(page), `${name}: controls off screen`).toEqual([]);
          if (scheme === 'dark') expect(await brightPatches(page), `${name}: bright patches in dark mode`).toEqual([]);
        };

        await open(page, '/alerts', 'Alerts');
        await page.locator('tr', { hasText: 'nobody listens' }).getByRole('button', { name: 'Deliveries' }).click();
        await page.locator('.card', { hasText: 'Deliveries to nobody listens' }).locator('tbody tr').first().waitFor();
        await check('alerts');
        await page.getByRole('button', { name: 'Add alert' }).click();
        await page.getByRole('dialog').waitFor();
        await check('alerts-add-alert');
        await page.keyboard.press('Escape');

        await open(page, '/audit', 'Audit log');
        await page.locator('.audit-table tbody tr').first().waitFor();
        await page.locator('.audit-table tbody tr').first().getByRole('button', { name: 'Details' }).click();
        await page.locator('.audit-detail').waitFor();
        await check('audit');

        await open(page, '/team', 'Admin accounts');
        await page.getByRole('cell', { name: /Olive Owner/ }).waitFor();
        await check('team');

        await open(page, `/users/${ada.user.id}`, 'ada@dark.example');
        await page.locator('.card', { has: page.getByRole('heading', { name: 'Spend caps' }) }).getByText('Per month').waitFor();
        await check('user-caps');
        await page.getByRole('button', { name: /^Limits of key/ }).click();
        await page.getByRole('dialog').getByLabel('Per day', { exact: true }).waitFor();
        await check('key-limits');
        await page.keyboard.press('Escape');

        await open(page, '/playground', 'Playground');
        await page.getByLabel('API key').fill(ada.key);
        await page.getByLabel('Model').selectOption(CHAT_MODELS.openai);
        await page.getByLabel('Message').fill(`Hello in ${scheme} mode`);
        await page.getByRole('button', { name: 'Send' }).click();
        await page.locator('.card', { hasText: 'Upstream attempts' }).getByText('Served').waitFor();
        await check('playground');

        const background = await page.evaluate<string>('getComputedStyle(document.body).backgroundColor');
        const [r, g, b] = background.match(/\d+/g)!.map(Number);
        expect(r! + g! + b! < 150, `body background ${background} in ${scheme} mode`).toBe(scheme === 'dark');
        expect(errors).toEqual([]);
        await page.close();
      }, 180_000);
    }
  }
});
