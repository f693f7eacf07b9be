import OpenAI from 'openai';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureAdminUiBuilt } from '../helpers/admin-ui-build.js';
import { focusedName, launchBrowser, screenshot } from '../helpers/browser.js';
import { useGatewayHarness } from '../helpers/harness.js';

/**
 * The operator's core loop in a real headless Chromium against a real gateway (Postgres, Redis,
 * mock upstream): sign in, add a model with a price, see an SDK call and its cost on the usage
 * page, revoke a key and see the next call fail. Screenshots land in test-artifacts/admin-ui/.
 */
const h = useGatewayHarness();
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let page: Page;

beforeAll(async () => {
  await ensureAdminUiBuilt();
  browser = await launchBrowser();
  page = await browser.context.newPage();
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

describe('admin panel in a browser', () => {
  it('signs in with the admin token, refusing a wrong one next to the field', async () => {
    await page.goto(`${h.gw.url}/admin`);
    await page.getByLabel('Admin token').fill('not-the-admin-token');
    await page.keyboard.press('Enter');
    await expect.poll(() => fieldError('token').textContent()).toContain('not accepted');
    expect(await page.getByLabel('Admin token').getAttribute('aria-invalid')).toBe('true');
    await screenshot(page, 'sign-in-error');

    await page.getByLabel('Admin token').fill(h.gw.adminToken);
    await page.keyboard.press('Enter');
    await heading('Usage');
    expect(new URL(page.url()).pathname).toBe('/admin/usage');
  });

  it('adds a model with a price; the API’s validation error shows next to the field', async () => {
    await page.getByRole('link', { name: 'Models & prices' }).click();
    await heading('Models & prices');
    await page.getByRole('button', { name: 'Add model' }).click();
    const d = dialog();
    await d.getByLabel('Alias').fill('gpt-next');
    await d.getByLabel('Provider').selectOption('openai');
    await d.getByLabel('Upstream model ID').fill('gpt-4.1-mini');
    await d.getByLabel('Context window').fill('128000');
    await d.getByLabel('Max output').fill('16384');
    await d.getByLabel('Input', { exact: true }).fill('free');
    await d.getByLabel('Output', { exact: true }).fill('8');
    await d.getByRole('button', { name: 'Add model' }).click();
    await expect.poll(() => fieldError('price.inputPerMtok').textContent()).toContain('up to 6 decimals');
    expect(await focusedName(page)).toBe('price.inputPerMtok');
    await screenshot(page, 'model-add-error');

    await d.getByLabel('Input', { exact: true }).fill('2.5');
    await page.keyboard.press('Enter');
    await heading('gpt-next');
    expect(new URL(page.url()).pathname).toBe('/admin/models/gpt-next');
    await page.getByRole('cell', { name: 'In force' }).waitFor();
    const model = await h.gw.admin('GET', '/models/gpt-next');
    expect(model).toMatchObject({ providerId: 'openai', enabled: true, price: { inputPerMtok: '2.500000', outputPerMtok: '8.000000' } });
    await screenshot(page, 'model-detail');
  });

  it('shows a call made with the openai SDK, with its cost, on the usage page', async () => {
    const { data, response } = await h.client.chat.completions
      .create({ model: 'gpt-next', messages: [{ role: 'user', content: 'What does this cost?' }] })
      .withResponse();
    expect(data.choices[0]!.message.content).toContain('What does this cost?');
    const cost = response.headers.get('x-tollgate-cost')!;
    expect(Number(cost)).toBeGreaterThan(0);

    await page.getByRole('link', { name: 'Usage' }).click();
    await heading('Usage');
    const row = page.locator('.requests-table tbody tr', { hasText: 'gpt-next' });
    await row.waitFor();
    expect(await row.count()).toBe(1);
    expect(await row.locator('td').nth(4).textContent()).toBe(shown(cost));
    expect(await row.textContent()).toContain('200');
    const breakdown = page.getByRole('row', { name: /gpt-next/ }).filter({ hasNot: page.locator('.link-btn') });
    expect(await breakdown.first().textContent()).toContain(shown(cost));
    await screenshot(page, 'usage-after-call');

    // The request's details: who, which key, tokens, cost.
    await row.getByRole('button').click();
    await dialog().getByText('Upstream attempts').waitFor();
    expect(await dialog().textContent()).toContain(shown(cost));
    await page.keyboard.press('Escape');
    await dialog().waitFor({ state: 'hidden' });
  });

  it('creates a key (secret shown once), revokes it, and the next call with it fails', async () => {
    await page.getByRole('link', { name: 'Users & keys' }).click();
    await heading('Users & API keys');
    await page.getByRole('button', { name: 'New user' }).click();
    await dialog().getByLabel('Email').fill('ada@example.test');
    await dialog().getByLabel('Initial credits').fill('5');
    await page.keyboard.press('Enter');
    await heading('ada@example.test');

    await page.getByRole('button', { name: 'Create key' }).click();
    await dialog().getByLabel('Name').fill('e2e laptop');
    await page.keyboard.press('Enter');
    const secretBox = dialog().getByLabel('New API key');
    await secretBox.waitFor();
    const secret = await secretBox.inputValue();
    expect(secret).toMatch(/^tg_/);
    await screenshot(page, 'key-created');
    await dialog().getByRole('button', { name: 'Done' }).click();
    expect(await page.locator('body').textContent()).not.toContain(secret);

    const client = new OpenAI({ apiKey: secret, baseURL: `${h.gw.url}/v1`, maxRetries: 0 });
    const ok = await client.chat.completions.create({ model: 'gpt-next', messages: [{ role: 'user', content: 'hi' }] });
    expect(ok.choices[0]!.message.content).toBe('Mock reply to: hi');

    await page.getByRole('button', { name: 'Revoke key e2e laptop' }).click();
    await dialog().getByRole('button', { name: 'Revoke key' }).click();
    await page.getByRole('cell', { name: 'Revoked' }).waitFor();
    await screenshot(page, 'key-revoked');

    const err = await client.chat.completions.create({ model: 'gpt-next', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((err as InstanceType<typeof OpenAI.AuthenticationError>).status).toBe(401);
  });
});
