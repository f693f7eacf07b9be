import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureAdminUiBuilt } from '../helpers/admin-ui-build.js';
import { launchBrowser, offScreenControls, PHONE, screenshot, sidewaysOverflow } from '../helpers/browser.js';
import { useGatewayHarness } from '../helpers/harness.js';
import { injectFault } from '../helpers/mock-control.js';

/**
 * The admin team in a real headless Chromium: first start with the token, sign-in with email and
 * password, a viewer who sees no write buttons (and whose writes the server refuses), the audit
 * log page and the playground. Screenshots at 1440×900 and 390×844 land in test-artifacts/admin-ui/.
 */
const h = useGatewayHarness();
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let page: Page;
const DESKTOP = { width: 1440, height: 900 };
const PASSWORD = 'owner password 1234';

beforeAll(async () => {
  await ensureAdminUiBuilt();
  browser = await launchBrowser();
  page = await browser.context.newPage();
  await page.setViewportSize(DESKTOP);
}, 120_000);
afterAll(async () => browser?.close());

const heading = (name: string) => page.getByRole('heading', { level: 1, name }).waitFor();
const dialog = () => page.getByRole('dialog');
const fieldError = (param: string) => page.locator(`[data-field="${param}"] .field-error`);
/** The panel's credit display: six decimals, trailing zeros dropped down to two. */
const shown = (credits: string) => {
  const [whole, frac = ''] = credits.split('.');
  return `${Number(whole).toLocaleString('en-US')}.${frac.replace(/0+$/, '').padEnd(2, '0')}`;
};

/** Screenshots at both sizes, and no sideways scrolling on the phone. */
async function shoot(name: string) {
  await screenshot(page, name);
  await page.setViewportSize(PHONE);
  expect(await sidewaysOverflow(page)).toBe(0);
  expect(await offScreenControls(page), `${name}: controls off screen on a phone`).toEqual([]);
  await screenshot(page, name);
  await page.setViewportSize(DESKTOP);
}

async function signOut() {
  const menu = page.getByRole('button', { name: 'Menu' });
  if (await menu.isVisible()) await menu.click();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in to the admin panel' }).waitFor();
}

async function signInAs(email: string, password: string) {
  await page.goto(`${h.gw.url}/admin`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.keyboard.press('Enter');
  await heading('Usage');
}

describe('admin team in a browser', () => {
  it('first start: the token holder is asked to create the first owner, and does', async () => {
    await page.goto(`${h.gw.url}/admin`);
    await page.getByText('No admin accounts yet').waitFor();
    await page.getByLabel('Admin token').fill(h.gw.adminToken);
    await page.keyboard.press('Enter');
    await heading('Usage');
    await page.getByRole('button', { name: 'Create owner' }).click();
    await heading('Admin accounts');
    const d = dialog();
    expect(await d.getByLabel('Role').inputValue()).toBe('owner');
    await d.getByLabel('Email').fill('olive@example.com');
    await d.getByLabel('Name').fill('Olive Owner');
    await d.getByLabel('Password').fill('short');
    await d.getByRole('button', { name: 'Create account' }).click();
    await expect.poll(() => fieldError('password').textContent()).toContain('12');
    await d.getByLabel('Password').fill(PASSWORD);
    await d.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('cell', { name: /^Olive Owner/ }).waitFor();
    await shoot('team');
    await page.getByRole('link', { name: 'Usage' }).click();
    await heading('Usage');
    // The banner reads whether an account exists when the page changes: it goes once that answer is in.
    await expect.poll(() => page.getByRole('button', { name: 'Create owner' }).count()).toBe(0);
    await signOut();
  });

  it('signs in with email and password; a wrong password is refused next to the field', async () => {
    await page.goto(`${h.gw.url}/admin`);
    await page.getByLabel('Email').fill('olive@example.com');
    await page.getByLabel('Password').fill('not the password');
    await page.keyboard.press('Enter');
    await expect.poll(() => fieldError('password').textContent()).toContain('do not match');
    await shoot('sign-in-account');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.keyboard.press('Enter');
    await heading('Usage');
    expect(await page.locator('.whoami').textContent()).toContain('Olive Owner');
    // The session is an HttpOnly cookie: the page's script cannot read it, and nothing is kept in storage.
    expect(await page.evaluate<string>('document.cookie')).toBe('');
    expect(await page.evaluate<number>('sessionStorage.length + localStorage.length')).toBe(0);
    const cookies = await browser.context.cookies();
    expect(cookies.find((c) => c.name === 'tollgate_admin_session')).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/admin' });
    await page.reload();
    await heading('Usage');
  });

  it('shows a viewer no write buttons, and the server refuses the viewer’s writes', async () => {
    await page.getByRole('link', { name: 'Admin accounts' }).click();
    await page.getByRole('button', { name: 'New account' }).click();
    await dialog().getByLabel('Email').fill('vic@example.com');
    await dialog().getByLabel('Role').selectOption('viewer');
    await dialog().getByLabel('Password').fill('viewer password 1234');
    await dialog().getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('cell', { name: 'vic@example.com', exact: true }).waitFor();
    await signOut();

    await signInAs('vic@example.com', 'viewer password 1234');
    expect(await page.getByRole('link', { name: 'Admin accounts' }).count()).toBe(0);
    await page.getByRole('link', { name: 'Plans & limits' }).click();
    await page.getByRole('cell', { name: /default/ }).first().waitFor();
    expect(await page.getByRole('button', { name: /New plan|Edit|Delete/ }).count()).toBe(0);
    await shoot('viewer-plans');

    await page.goto(`${h.gw.url}/admin/models/gpt-4o-mini`);
    await heading('gpt-4o-mini');
    expect(await page.getByRole('button', { name: /Delete|Save|Set price|Add$/ }).count()).toBe(0);
    expect(await page.getByRole('switch', { name: 'gpt-4o-mini enabled' }).isDisabled()).toBe(true);
    expect(await page.getByLabel('Upstream model ID').isDisabled()).toBe(true);
    await shoot('viewer-model');
    await page.getByRole('link', { name: 'Users & keys' }).click();
    await heading('Users & API keys');
    expect(await page.getByRole('button', { name: 'New user' }).count()).toBe(0);

    // The same calls from the viewer's own session, as the panel would make them: refused by the server.
    const refused = await page.evaluate<{ status: number; code: string }>(`fetch('/admin/api/plans', {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-requested-with': 'tollgate-admin' },
      body: JSON.stringify({ id: 'sneaky', name: 'Sneaky' }),
    }).then(async (r) => ({ status: r.status, code: (await r.json()).error.code }))`);
    expect(refused).toEqual({ status: 403, code: 'insufficient_role' });
    expect((await h.gw.admin('GET', '/plans')).data.map((p: { id: string }) => p.id)).not.toContain('sneaky');
    await signOut();
  });

  it('lists every change on the audit page, with filters, details and paging', async () => {
    for (let i = 0; i < 55; i++) await h.gw.admin('PATCH', '/plans/default', { name: `Default ${i}` });
    await signInAs('olive@example.com', PASSWORD);
    await page.getByRole('link', { name: 'Audit log' }).click();
    await heading('Audit log');
    const rows = page.locator('.audit-table > tbody > tr');
    await expect.poll(() => rows.count()).toBe(50);
    expect(await rows.first().textContent()).toContain('plan.update');
    expect(await rows.first().textContent()).toContain('Default 53');
    const total = (await h.gw.admin('GET', '/audit?limit=500')).data.length;
    await page.getByRole('button', { name: 'Older changes' }).click();
    await expect.poll(() => rows.count()).toBe(Math.min(total, 100));
    await page.getByLabel('What changed').selectOption('admin_account');
    await expect.poll(() => rows.count()).toBe(2);
    expect(await rows.nth(1).textContent()).toContain('Admin token');
    expect(await rows.nth(0).textContent()).toContain('olive@example.com');
    await rows.nth(0).getByRole('button', { name: 'Details' }).click();
    const detail = page.locator('.audit-detail');
    await detail.waitFor();
    expect(await detail.textContent()).toContain('"role": "viewer"');
    expect(await detail.textContent()).not.toContain('viewer password');
    await shoot('audit');
    await page.getByLabel('What changed').selectOption('');
    await page.getByLabel('Filter by who (email, or token)').fill('nobody-at-all');
    await page.getByText('No change matches these filters.').waitFor();
  });

  it('downloads the request log as CSV when signed in with email and password (the session cookie, no token)', async () => {
    await h.client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'a request to export' }] });
    await page.getByRole('link', { name: 'Requests' }).click();
    await heading('Requests');
    await page.locator('tbody tr').first().waitFor();
    expect(await page.evaluate<number>('sessionStorage.length + localStorage.length')).toBe(0);
    const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
    expect(csv.suggestedFilename()).toMatch(/^requests-.*\.csv$/);
    const lines = readFileSync((await csv.path())!, 'utf8').trimEnd().split('\n');
    expect(lines[0]).toMatch(/^id,started_at,user_email/);
    expect(lines.length - 1).toBe(await page.locator('tbody tr').count());
    // Still signed in: the export did not end the session.
    expect(await page.locator('.whoami').textContent()).toContain('Olive Owner');
  });

  it('streams an answer in the playground with a pasted key, and shows its cost and attempts', async () => {
    await page.getByRole('link', { name: 'Playground' }).click();
    await heading('Playground');
    await page.getByLabel('API key').fill(h.key);
    await page.getByLabel('Model').selectOption('gpt-4o-mini');
    await page.getByLabel('Message').fill('Hello from the playground');
    await page.getByRole('button', { name: 'Send' }).click();
    const answer = page.getByTestId('answer');
    await expect.poll(() => answer.textContent()).toContain('Hello from the playground');
    const costStat = page.locator('.stat', { hasText: 'Cost' }).locator('.stat-value');
    await costStat.waitFor();
    const attempts = page.locator('.card', { hasText: 'Upstream attempts' });
    await attempts.getByText('Served').waitFor();
    const logged = (await h.gw.admin('GET', '/requests?limit=1')).data[0];
    expect(logged.stream).toBe(true);
    expect(Number(logged.cost)).toBeGreaterThan(0);
    expect(await costStat.textContent()).toBe(shown(logged.cost));
    expect(await attempts.textContent()).toContain(logged.id);

    // A first attempt the provider fails is retried: both attempts show, the failed one with its error.
    await injectFault(h.mock, { provider: 'openai', match: 'flaky upstream', fault: { type: 'status', status: 503 } });
    await page.getByLabel('Message').fill('Hello through a flaky upstream');
    await page.getByRole('button', { name: 'Send' }).click();
    await expect.poll(() => answer.textContent()).toContain('Hello through a flaky upstream');
    await expect.poll(() => attempts.locator('tbody tr').count()).toBe(2);
    expect(await attempts.locator('tbody tr').first().textContent()).toContain('503');
    await attempts.locator('tbody tr').nth(1).getByText('Served').waitFor();
    await shoot('playground');

    await page.getByLabel('API key').fill('tg_not-a-real-key');
    await page.getByRole('button', { name: 'Send' }).click();
    await expect.poll(() => answer.textContent()).toContain('401');
  });
});
