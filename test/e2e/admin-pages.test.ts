import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BreakerState } from '../../src/upstream/breakers.js';
import { ensureAdminUiBuilt } from '../helpers/admin-ui-build.js';
import { focusedBoxShadow, focusedName, LAPTOP, launchBrowser, offScreenControls, PHONE, screenshot, sidewaysOverflow, signedInPage } from '../helpers/browser.js';
import { CHAT_MODELS, createUserWithKey } from '../helpers/catalogue.js';
import { useGatewayHarness } from '../helpers/harness.js';
import { injectFault } from '../helpers/mock-control.js';

/**
 * Every page of the panel at laptop (1366) and phone (390) width, with realistic data, saved to
 * test-artifacts/admin-ui/ to be looked at; plus keyboard use (dialogs, Escape, Enter) and both
 * states of the circuit breaker list.
 */
const h = useGatewayHarness();
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let userId: string;
let accountId: string;

/** A week of past traffic, written straight into the request log (the gateway cannot backdate). */
async function seedHistory(user: { id: string; accountId: string }) {
  await h.db.query(
    `INSERT INTO requests (id, account_id, user_id, endpoint, model_alias, served_model, provider_id, upstream_model, status,
                           prompt_tokens, completion_tokens, cost, latency_ms, upstream_latency_ms, started_at)
     SELECT 'hist-' || g || '-' || m.alias, $1, $2, '/v1/chat/completions', m.alias, m.alias, m.provider, m.alias,
            CASE WHEN g % 17 = 0 THEN 502 ELSE 200 END, 400 + (g * 37) % 900, 150 + (g * 53) % 600,
            ((400 + (g * 37) % 900) * m.weight + (150 + (g * 53) % 600) * m.weight * 2) * 40, 300 + (g * 71) % 900, 250 + (g * 71) % 850,
            now() - make_interval(hours => g * 3)
       FROM generate_series(1, 56) g,
            (VALUES ('gpt-4o-mini', 'openai', 3), ('claude-sonnet', 'anthropic', 5), ('gemini-flash', 'gemini', 1), ('mistral-small', 'mistral', 2)) m(alias, provider, weight)
      WHERE (g + m.weight) % 3 <> 0`,
    [user.accountId, user.id],
  );
}

beforeAll(async () => {
  await ensureAdminUiBuilt();
  const second = await createUserWithKey(h.gw, { email: 'grace@analytics.example', credits: '250' });
  userId = second.user.id;
  accountId = second.accountId;
  await seedHistory(second.user);
  await h.gw.admin('POST', '/plans', { id: 'pro', name: 'Pro', rpm: 600, rpmPerProvider: 300, tpm: 200_000, maxConcurrentStreams: 8, markupBps: 1500 });
  await h.gw.admin('PATCH', `/models/${CHAT_MODELS.openai}`, { fallbacks: [CHAT_MODELS.anthropic, CHAT_MODELS.mistral] });
  await h.gw.admin('POST', `/models/${CHAT_MODELS.openai}/prices`, { inputPerMtok: '0.8', outputPerMtok: '1.6', effectiveFrom: new Date(Date.now() + 7 * 86_400_000).toISOString() });
  await h.gw.admin('POST', `/accounts/${accountId}/adjustments`, { amount: '-12.5', note: 'refund for duplicate invoice' });
  await h.gw.admin('POST', `/users/${userId}/keys`, { name: 'analytics-prod' });
  for (const model of Object.values(CHAT_MODELS)) {
    await h.client.chat.completions.create({ model, messages: [{ role: 'user', content: `hello ${model}` }] });
  }
  await injectFault(h.mock, { provider: 'anthropic', times: 3, fault: { type: 'status', status: 500 } }); // the first try and both retries fail
  await h.client.chat.completions.create({ model: CHAT_MODELS.anthropic, messages: [{ role: 'user', content: 'x' }] }).catch(() => undefined);
  browser = await launchBrowser();
}, 120_000);
afterAll(async () => browser?.close());

async function open(page: Page, path: string, title: string) {
  await page.goto(`${h.gw.url}/admin${path}`);
  await page.getByRole('heading', { level: 1, name: title }).waitFor();
  await page.locator('.loading').first().waitFor({ state: 'detached' }).catch(() => undefined);
  await page.waitForTimeout(150);
}

const PAGES = (): [string, string, string][] => [
  ['usage', '/usage', 'Usage'],
  ['health', '/health', 'Health'],
  ['providers', '/providers', 'Providers'],
  ['models', '/models', 'Models & prices'],
  ['model-detail', `/models/${CHAT_MODELS.openai}`, CHAT_MODELS.openai],
  ['plans', '/plans', 'Plans & limits'],
  ['users', '/users', 'Users & API keys'],
  ['keys', '/users/keys', 'Users & API keys'],
  ['user-detail', `/users/${userId}`, 'grace@analytics.example'],
  ['credits', '/credits', 'Credits'],
  ['account-ledger', `/credits/${accountId}`, 'grace@analytics.example'],
];

describe('every admin page, at laptop and phone width', () => {
  for (const size of [LAPTOP, PHONE]) {
    it(`renders each page at ${size.width}px without errors or horizontal overflow`, async () => {
      const page = await signedInPage(browser.context, h.gw.url, h.gw.adminToken, size);
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      for (const [name, path, title] of PAGES()) {
        await open(page, path, title);
        await screenshot(page, name);
        expect(await page.locator('.banner-danger').count(), name).toBe(0);
        const overflow = await sidewaysOverflow(page);
        expect(overflow, `${name} scrolls sideways`).toBeLessThanOrEqual(0);
        expect(await offScreenControls(page), `${name}: controls off screen`).toEqual([]);
      }
      if (size === PHONE) {
        const fresh = await browser.context.newPage();
        await fresh.setViewportSize(PHONE);
        await fresh.goto(`${h.gw.url}/admin`);
        await fresh.getByLabel('Admin token').waitFor();
        await screenshot(fresh, 'sign-in');
        await fresh.close();
        await page.getByRole('button', { name: 'Menu' }).click();
        await page.getByRole('navigation').getByRole('link', { name: 'Credits' }).waitFor();
        await screenshot(page, 'nav-open');
      }
      expect(errors).toEqual([]);
      await page.close();
    });
  }
});

const NEVER_OPENED = { openedAt: null, openReason: null, openedAfterFailures: 0, nextProbeAt: null, lastFailureAt: null };
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

describe('health page', () => {
  it('explains an empty breaker list, shows the real breakers, and open, half-open and closed ones', async () => {
    const page = await signedInPage(browser.context, h.gw.url, h.gw.adminToken);
    // An instance that has not called any provider yet reports no breakers.
    await page.route('**/admin/api/health*', async (route) => {
      const res = await route.fetch();
      await route.fulfill({ response: res, json: { ...(await res.json()), breakers: [] } });
    });
    await open(page, '/health', 'Health');
    await page.getByText('No breakers reported').waitFor();
    expect(await page.locator('.stat', { hasText: 'Server error rate' }).locator('.stat-value').textContent()).not.toBe('0.0%');
    // This gateway's real breakers: one per provider key it has called, all closed.
    await page.unrouteAll();
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.getByRole('cell', { name: 'Closed' }).first().waitFor();

    const breakers: BreakerState[] = [
      { provider: 'openai', keyId: '1', keyLabel: 'primary', last4: '0001', state: 'closed', failures: 0, successes: 1840, inFlight: 3, ...NEVER_OPENED },
      {
        provider: 'anthropic', keyId: '2', keyLabel: 'primary', last4: '0002', state: 'open', failures: 12, successes: 210, inFlight: 0,
        openedAt: ago(20_000), openReason: 'upstream_overloaded (HTTP 529): Overloaded', openedAfterFailures: 12, nextProbeAt: ago(-10_000), lastFailureAt: ago(20_000),
      },
      {
        provider: 'gemini', keyId: '3', keyLabel: 'batch', last4: '0003', state: 'half_open', failures: 0, successes: 0, inFlight: 1,
        openedAt: ago(45_000), openReason: 'upstream_server_error (HTTP 503): The service is unavailable.', openedAfterFailures: 5, nextProbeAt: null, lastFailureAt: ago(46_000),
      },
    ];
    await page.route('**/admin/api/health*', async (route) => {
      const res = await route.fetch();
      await route.fulfill({ response: res, json: { ...(await res.json()), breakers } });
    });
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.getByRole('cell', { name: 'Half-open' }).waitFor();
    const rows = await page.locator('tr', { hasText: '••••' }).allTextContents();
    expect(rows.map((r) => r.match(/Open|Half-open|Closed/)?.[0])).toEqual(['Open', 'Half-open', 'Closed']);
    // An open or half-open breaker says when and why it opened, after how many failures, and when it probes.
    expect(rows[0]).toMatch(/Opened \d+ \w+, \d\d:\d\d:\d\d after 12 failures.*HTTP 529.*Next probe .*\((in \d+ s|due now)\)/);
    expect(rows[1]).toMatch(/after 5 failures.*HTTP 503.*Probing now/);
    await screenshot(page, 'health-breakers');
    await page.setViewportSize(PHONE);
    await screenshot(page, 'health-breakers');
    await page.close();
  });
});

describe('keyboard use', () => {
  it('opens a dialog, closes it with Escape back to its button, and submits forms with Enter', async () => {
    const page = await signedInPage(browser.context, h.gw.url, h.gw.adminToken);
    await open(page, '/plans', 'Plans & limits');
    const newPlan = page.getByRole('button', { name: 'New plan' });
    await newPlan.focus();
    await page.keyboard.press('Enter');
    await page.getByRole('dialog').waitFor();
    expect(await focusedName(page)).toBe('name');
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'hidden' });
    expect(await newPlan.evaluate((el) => el === el.ownerDocument.activeElement)).toBe(true);

    await page.keyboard.press('Enter');
    await page.keyboard.type('Team');
    await page.keyboard.press('Tab');
    await page.keyboard.type('Team plan!');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('[data-field="id"] .field-error').textContent()).toBeTruthy();
    await screenshot(page, 'plan-dialog-error');
    await page.getByRole('dialog').getByLabel('ID', { exact: true }).fill('team');
    await page.getByRole('dialog').getByLabel('Markup on provider prices').fill('12.5');
    await page.keyboard.press('Enter');
    await page.getByRole('cell', { name: /^Team/ }).waitFor();
    expect(await h.gw.admin('GET', '/plans/team')).toMatchObject({ name: 'Team', markupBps: 1250 });

    // Focus is visible: the focused control draws a ring.
    await page.keyboard.press('Tab');
    expect(await focusedBoxShadow(page)).not.toBe('none');
    await page.close();
  });

  it('tests a provider connection from its card', async () => {
    const page = await signedInPage(browser.context, h.gw.url, h.gw.adminToken);
    await open(page, '/providers', 'Providers');
    await page.getByRole('button', { name: 'Test connection to OpenAI' }).click();
    await page.getByText('Connected: all 1 key answered.').waitFor();
    await screenshot(page, 'providers-tested');
    await page.close();
  });
});
