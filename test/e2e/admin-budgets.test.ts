import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureAdminUiBuilt } from '../helpers/admin-ui-build.js';
import { LAPTOP, launchBrowser, offScreenControls, PHONE, screenshot, sidewaysOverflow, signedInPage } from '../helpers/browser.js';
import { CHAT_MODELS, createUserWithKey } from '../helpers/catalogue.js';
import { useGatewayHarness } from '../helpers/harness.js';

/** The panel's spend caps: a user's caps card and a key's limits dialog, in a real Chromium. */
const h = useGatewayHarness();
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let user: Awaited<ReturnType<typeof createUserWithKey>>;

beforeAll(async () => {
  await ensureAdminUiBuilt();
  user = await createUserWithKey(h.gw, { email: 'ada@budgets.example', credits: '50' });
  await h.gw.admin('PATCH', `/users/${user.user.id}/limits`, { caps: { month: '0.001', lifetime: '20' } });
  const res = await fetch(`${h.gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${user.key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: CHAT_MODELS.openai, max_tokens: 20, messages: [{ role: 'user', content: 'go [[reply:20]]' }] }),
  });
  expect(res.status).toBe(200);
  browser = await launchBrowser();
}, 120_000);
afterAll(async () => browser?.close());

describe('spend caps in the panel', () => {
  for (const size of [LAPTOP, PHONE]) {
    it(`shows a user's caps with what they spent, and edits a key's caps and model allowlist (${size.width}px)`, async () => {
      const page = await signedInPage(browser.context, h.gw.url, h.gw.adminToken, size);
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${h.gw.url}/admin/users/${user.user.id}`);
      const card = page.locator('.card', { has: page.getByRole('heading', { name: 'Spend caps' }) });
      await card.getByText('Per month').waitFor();
      expect(await card.locator('.cap-figures').allTextContents()).toEqual(['0.000042 of 0.001', '0.000042 of 20.00']);
      await screenshot(page, 'user-caps');
      expect(await sidewaysOverflow(page)).toBeLessThanOrEqual(0);
      expect(await offScreenControls(page)).toEqual([]);

      // A key's limits: a daily cap, and only one model.
      await page.getByRole('button', { name: /^Limits of key/ }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByLabel('Per day', { exact: true }).fill('2.5');
      await dialog.getByLabel('Only these models').check();
      await dialog.getByLabel(CHAT_MODELS.anthropic).check();
      await screenshot(page, 'key-limits');
      await dialog.getByRole('button', { name: 'Save limits' }).click();
      await dialog.waitFor({ state: 'detached' });
      const limits = await h.gw.admin('GET', `/keys/${user.keyId}/limits`);
      expect(limits.allowedModels).toEqual([CHAT_MODELS.anthropic]);
      expect(limits.budgets.map((b: { scope: string; period: string; limit: string }) => `${b.scope} ${b.period} ${b.limit}`)).toEqual([
        'key day 2.500000',
        'user month 0.001000',
        'user lifetime 20.000000',
      ]);

      // A malformed cap is refused next to its field; then clearing it removes the cap.
      await page.getByRole('button', { name: /^Limits of key/ }).click();
      await dialog.getByLabel('Per day', { exact: true }).fill('lots');
      await dialog.getByRole('button', { name: 'Save limits' }).click();
      await dialog.locator('[data-field="caps.day"] .field-error').waitFor();
      await dialog.getByLabel('Per day', { exact: true }).fill('');
      await dialog.getByLabel('Every model').check();
      await dialog.getByRole('button', { name: 'Save limits' }).click();
      await dialog.waitFor({ state: 'detached' });
      const cleared = await h.gw.admin('GET', `/keys/${user.keyId}/limits`);
      expect(cleared.allowedModels).toBeNull();
      expect(cleared.budgets.map((b: { scope: string }) => b.scope)).toEqual(['user', 'user']);
      expect(errors).toEqual([]);
      await page.close();
    });
  }
});
