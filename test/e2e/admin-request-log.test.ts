import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureAdminUiBuilt } from '../helpers/admin-ui-build.js';
import { DESKTOP, focusedBoxShadow, launchBrowser, offScreenControls, PHONE, screenshot, sidewaysOverflow, signedInPage } from '../helpers/browser.js';
import { CHAT_MODELS, createUserWithKey } from '../helpers/catalogue.js';
import { useGatewayHarness } from '../helpers/harness.js';
import { injectFault } from '../helpers/mock-control.js';

/**
 * The request log page, CSV downloads, dark mode and phone layouts in a real Chromium, plus the
 * panel's smaller faults: a dead menu button on desktop, primary buttons with no focus ring,
 * database errors as banners, "wrong format" on an empty field, money columns with mixed
 * decimals, times without seconds, and a new-user dialog that could not join an existing account.
 * Screenshots (light and dark, 1440 and 390 wide) land in test-artifacts/admin-ui/.
 */
// Run inside the page (the gateway's typecheck has no DOM library).
declare const document: any, getComputedStyle: any;

const h = useGatewayHarness();
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let grace: Awaited<ReturnType<typeof createUserWithKey>>;
let failedId: string;

beforeAll(async () => {
  await ensureAdminUiBuilt();
  grace = await createUserWithKey(h.gw, { email: 'grace@analytics.example', credits: '250' });
  await h.gw.admin('POST', `/users/${grace.user.id}/keys`, { name: 'analytics-prod' });
  await h.gw.admin('POST', `/accounts/${grace.accountId}/adjustments`, { amount: '-12.5', note: 'refund for duplicate invoice' });
  await h.db.query(
    `INSERT INTO requests (id, account_id, user_id, api_key_id, endpoint, model_alias, served_model, provider_id, upstream_model, status,
                           error_code, error_message, prompt_tokens, completion_tokens, cost, latency_ms, upstream_latency_ms, tags, started_at)
     SELECT 'hist-' || g || '-' || m.provider, $1, $2, $3, '/v1/chat/completions', m.alias, m.alias, m.provider, m.alias,
            CASE WHEN g % 7 = 0 THEN 529 WHEN g % 11 = 0 THEN 429 ELSE 200 END,
            CASE WHEN g % 7 = 0 THEN 'upstream_overloaded' WHEN g % 11 = 0 THEN 'rate_limited' END,
            CASE WHEN g % 7 = 0 THEN 'Anthropic is overloaded; try again shortly.' WHEN g % 11 = 0 THEN 'Rate limit reached: 60 requests per minute.' END,
            300 + g * 7, 100 + g * 3, CASE WHEN g % 7 = 0 OR g % 11 = 0 THEN 0 ELSE (300 + g * 7) * m.weight * 40 END,
            200 + g * 9, 150 + g * 9, CASE WHEN g % 3 = 0 THEN '{"team":"search"}'::jsonb END, now() - make_interval(mins => g * 13)
       FROM generate_series(1, 40) g,
            (VALUES ('gpt-4o-mini', 'openai', 3), ('claude-sonnet', 'anthropic', 5)) m(alias, provider, weight)`,
    [grace.accountId, grace.user.id, grace.keyId],
  );
  for (const model of [CHAT_MODELS.openai, CHAT_MODELS.mistral]) {
    await h.client.chat.completions.create({ model, messages: [{ role: 'user', content: `hello ${model}` }] });
  }
  await injectFault(h.mock, { provider: 'anthropic', times: 0, fault: { type: 'status', status: 529, message: 'Overloaded' } });
  const failed = await h.client.chat.completions.create({ model: CHAT_MODELS.anthropic, messages: [{ role: 'user', content: 'x' }] }).withResponse().catch((e) => e);
  failedId = failed.headers.get('x-request-id');
  browser = await launchBrowser();
}, 120_000);
afterAll(async () => browser?.close());

async function open(page: Page, path: string, title: string | RegExp) {
  await page.goto(`${h.gw.url}/admin${path}`);
  await page.getByRole('heading', { level: 1, name: title }).waitFor();
  await page.locator('.loading').first().waitFor({ state: 'detached' }).catch(() => undefined);
}

/** A cell's right edge, to see whether it is on screen. */
const rightEdge = (page: Page, selector: string) =>
  page.locator(selector).evaluateAll((els) => els.map((el) => Math.round((el as any).getBoundingClientRect().right)));
const decimals = (texts: string[]) => new Set(texts.map((t) => t.trim().replace(/^[+-]/, '').split('.')[1]?.length ?? 0));

describe('the request log page', () => {
  it('filters by user, status, provider and tag, finds a request by id, and shows the message its client received', async () => {
    const page = await signedInPage(browser.context, h.gw.url, h.gw.adminToken, DESKTOP);
    await open(page, '/usage', 'Usage');
    await page.getByRole('navigation').getByRole('link', { name: 'Requests' }).click();
    await page.getByRole('heading', { level: 1, name: 'Requests' }).waitFor();
    const rows = page.locator('tbody tr');
    await rows.first().waitFor();

    await page.getByLabel('Status').selectOption('error');
    await page.getByLabel('Provider').fill('anthropic');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    // Only failed requests served by (or failed at) anthropic remain, with what their clients were told.
    const statuses = page.locator('tbody td.status-cell');
    await expect.poll(async () => (await rows.allTextContents()).every((t) => t.includes('anthropic'))).toBe(true);
    expect((await statuses.allTextContents()).every((t) => /^\D*[45]\d\d/.test(t))).toBe(true);
    await page.getByRole('cell', { name: /Anthropic is overloaded/ }).first().waitFor();
    expect(await rows.count()).toBeGreaterThan(1);
    expect(page.url()).toMatch(/status=error.*provider=anthropic|provider=anthropic.*status=error/);

    await page.getByLabel('Tag').fill('team:search');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(async () => (await rows.allTextContents()).every((t) => t.includes('anthropic'))).toBe(true);
    expect(page.url()).toContain('tag=team%3Asearch');
    await screenshot(page, 'requests-filtered');

    await page.getByRole('button', { name: 'Clear filters' }).click();
    await page.getByLabel('Search by request id').fill(failedId);
    await page.keyboard.press('Enter');
    await expect.poll(() => rows.count()).toBe(1);
    await rows.first().getByRole('button').click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('Upstream attempts').waitFor();
    expect(await dialog.textContent()).toMatch(/Error message.*overloaded/i);
    await page.keyboard.press('Escape');
    await page.close();
  });

  it('downloads the filtered log, usage and an account’s ledger as CSV', async () => {
    const page = await signedInPage(browser.context, h.gw.url, h.gw.adminToken, DESKTOP);
    await open(page, `/requests?status=429&userId=${grace.user.id}`, 'Requests');
    await page.locator('tbody tr').first().waitFor();
    const [log] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
    expect(log.suggestedFilename()).toMatch(/^requests-.*\.csv$/);
    const logLines = readFileSync((await log.path())!, 'utf8').trimEnd().split('\n');
    expect(logLines[0]).toMatch(/^id,started_at,user_email/);
    expect(logLines.slice(1).every((l) => l.includes(',429,rate_limited,'))).toBe(true);
    expect(logLines.length - 1).toBe(await page.locator('tbody tr').count());

    await open(page, `/credits/${grace.accountId}`, 'grace@analytics.example');
    const [ledger] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
    expect(readFileSync((await ledger.path())!, 'utf8')).toMatch(/^id,created_at,kind,amount_credits/);

    await open(page, '/usage', 'Usage');
    const [usage] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
    expect(usage.suggestedFilename()).toMatch(/^usage-by-model-.*\.csv$/);
    await page.close();
  });

  it('links a ledger charge to its request', async () => {
    const page = await signedInPage(browser.context, h.gw.url, h.gw.adminToken, DESKTOP);
    await open(page, `/credits/${h.accountId}`, /@/);
    const charge = page.locator('tbody tr', { hasText: 'Usage' }).first();
    await charge.getByRole('link').click();
    await page.getByRole('heading', { level: 1, name: 'Requests' }).waitFor();
    await expect.poll(() => page.locator('tbody tr').count()).toBe(1);
    expect(page.url()).toMatch(/q=req_/);
    await page.close();
  });
});

describe('layout and looks', () => {
  const PAGES = (): [string, string, string | RegExp][] => [
    ['requests', '/requests', 'Requests'],
    ['usage', '/usage', 'Usage'],
    ['health', '/health', 'Health'],
    ['providers', '/providers', 'Providers'],
    ['models', '/models', 'Models & prices'],
    ['plans', '/plans', 'Plans & limits'],
    ['users', '/users', 'Users & API keys'],
    ['user-detail', `/users/${grace.user.id}`, 'grace@analytics.example'],
    ['account-ledger', `/credits/${grace.accountId}`, 'grace@analytics.example'],
  ];
  for (const scheme of ['light', 'dark'] as const) {
    for (const size of [DESKTOP, PHONE]) {
      it(`renders in ${scheme} mode at ${size.width}×${size.height} with everything on screen`, async () => {
        const page = await signedInPage(browser.context, h.gw.url, h.gw.adminToken, size);
        await page.emulateMedia({ colorScheme: scheme });
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(e.message));
        for (const [name, path, title] of PAGES()) {
          await open(page, path, title);
          await page.waitForTimeout(100);
          await screenshot(page, `${name}-${scheme}`);
          expect(await sidewaysOverflow(page), `${name} scrolls sideways`).toBeLessThanOrEqual(0);
          expect(await offScreenControls(page), `${name}: controls off screen`).toEqual([]);
        }
        const signIn = await browser.context.newPage();
        await signIn.setViewportSize(size);
        await signIn.emulateMedia({ colorScheme: scheme });
        await signIn.goto(`${h.gw.url}/admin`);
        await signIn.getByLabel('Admin token').waitFor();
        await screenshot(signIn, `sign-in-${scheme}`);
        await signIn.close();
        const background = await page.evaluate<string>('getComputedStyle(document.body).backgroundColor');
        const [r, g, b] = background.match(/\d+/g)!.map(Number);
        expect(r! + g! + b! < 150, `body background ${background} in ${scheme} mode`).toBe(scheme === 'dark');
        expect(errors).toEqual([]);
        await page.close();
      }, 180_000); // ten pages and their screenshots on a shared machine: a deadline for the machine, not for the panel
    }
  }

  it('on a phone, shows every request’s cost and status and every key’s revoke button on screen, as cards', async () => {
    const page = await signedInPage(browser.context, h.gw.url, h.gw.adminToken, PHONE);
    await open(page, '/usage', 'Usage');
    await page.locator('.requests-table tbody tr').first().waitFor();
    for (const edge of [...(await rightEdge(page, '.requests-table td.cost-cell')), ...(await rightEdge(page, '.requests-table td.status-cell'))]) {
      expect(edge).toBeLessThanOrEqual(PHONE.width);
    }
    expect(await page.locator('.requests-table tbody tr').first().evaluate((tr) => getComputedStyle(tr).display)).not.toBe('table-row');
    await open(page, `/users/${grace.user.id}`, 'grace@analytics.example');
    const revoke = page.getByRole('button', { name: /^Revoke key/ });
    await revoke.first().waitFor();
    for (const edge of await revoke.evaluateAll((els) => els.map((el) => el.getBoundingClientRect().right))) expect(edge).toBeLessThanOrEqual(PHONE.width);
    await open(page, '/providers', 'Providers');
    const rotate = page.getByRole('button', { name: 'Rotate' });
    await rotate.first().waitFor();
    for (const edge of await rotate.evaluateAll((els) => els.map((el) => el.getBoundingClientRect().right))) expect(edge).toBeLessThanOrEqual(PHONE.width);
    await page.close();
  });

  it('hides the phone menu button on a desktop and rings a focused primary button', async () => {
    const page = await signedInPage(browser.context, h.gw.url, h.gw.adminToken, DESKTOP);
    await open(page, '/users', 'Users & API keys');
    expect(await page.getByRole('button', { name: 'Menu' }).isVisible()).toBe(false);
    const newUser = page.getByRole('button', { name: 'New user' });
    const resting = await newUser.evaluate((el) => getComputedStyle(el).boxShadow + getComputedStyle(el).outlineStyle);
    await page.getByLabel('Search by email or name').focus();
    await page.keyboard.press('Tab');
    expect(await newUser.evaluate((el) => el === document.activeElement)).toBe(true);
    const focused = (await focusedBoxShadow(page)) + (await newUser.evaluate((el) => getComputedStyle(el).outlineStyle));
    expect(focused).not.toBe(resting);
    await page.close();
  });

  it('shows times with seconds and each money column with one number of decimals', async () => {
    const page = await signedInPage(browser.context, h.gw.url, h.gw.adminToken, DESKTOP);
    await open(page, `/credits/${grace.accountId}`, 'grace@analytics.example');
    await page.locator('tbody tr').first().waitFor();
    expect(await page.locator('td.time-cell').allTextContents()).toEqual(expect.arrayContaining([expect.stringMatching(/\d{2}:\d{2}:\d{2}/)]));
    expect((await page.locator('td.time-cell').allTextContents()).every((t) => /\d{2}:\d{2}:\d{2}/.test(t))).toBe(true);
    expect(decimals(await page.locator('td.amount-cell').allTextContents()).size).toBe(1);
    await open(page, '/requests', 'Requests');
    await page.locator('tbody tr').first().waitFor();
    expect(decimals(await page.locator('td.cost-cell').allTextContents()).size).toBe(1);
    expect((await page.locator('td.time-cell').allTextContents()).every((t) => /\d{2}:\d{2}:\d{2}/.test(t))).toBe(true);
    await page.close();
  });
});

describe('forms', () => {
  it('adds a new user to an existing account, and shows a taken email next to the field', async () => {
    const page = await signedInPage(browser.context, h.gw.url, h.gw.adminToken, DESKTOP);
    await open(page, '/users', 'Users & API keys');
    await page.getByRole('button', { name: 'New user' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Email').fill('grace@analytics.example');
    await dialog.getByLabel('Account').selectOption({ label: 'grace@analytics.example' });
    await dialog.getByRole('button', { name: 'Create user' }).click();
    await expect.poll(() => dialog.locator('[data-field="email"] .field-error').textContent()).toMatch(/already exists/);
    expect(await dialog.locator('.banner-danger').count()).toBe(0);
    await screenshot(page, 'new-user-taken-email');

    await dialog.getByLabel('Email').fill('grace.team@analytics.example');
    await dialog.getByRole('button', { name: 'Create user' }).click();
    await page.getByRole('heading', { level: 1, name: 'grace.team@analytics.example' }).waitFor();
    const users = (await h.gw.admin('GET', '/users?q=grace.team')).data;
    expect(users[0].accountId).toBe(grace.accountId);
    await page.close();
  });

  it('says an empty field is required, and what a wrong one should look like', async () => {
    const page = await signedInPage(browser.context, h.gw.url, h.gw.adminToken, DESKTOP);
    await open(page, `/credits/${grace.accountId}`, 'grace@analytics.example');
    await page.getByRole('button', { name: 'Grant credits' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Grant credits' }).click();
    const error = dialog.locator('[data-field="amount"] .field-error');
    await expect.poll(() => error.textContent()).toBe('Required.');
    await dialog.getByLabel('Amount').fill('12,5x');
    await dialog.getByRole('button', { name: 'Grant credits' }).click();
    await expect.poll(() => error.textContent()).toMatch(/up to 6 decimals/);
    expect(await error.textContent()).not.toMatch(/wrong format/);
    await page.close();
  });
});
