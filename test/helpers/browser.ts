import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { projectPath } from '../../src/paths.js';

export const LAPTOP = { width: 1366, height: 768 };
export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1440, height: 900 };

/** Debian's Chromium (scripts/ensure-services.sh installs it), headless, with a fresh profile. */
export async function launchBrowser(): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'tollgate-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    viewport: LAPTOP,
    timezoneId: 'UTC',
    locale: 'en-GB',
  });
  // Each wait's deadline (a busy machine renders slowly; a wait ends as soon as its condition holds).
  context.setDefaultTimeout(30_000);
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

const artifacts = projectPath('test-artifacts', 'admin-ui');

/**
 * Saves a full-page screenshot to test-artifacts/admin-ui/<name>-<width>.png. The viewport grows
 * to the page's height first, so what is sized to the viewport (the sidebar) renders as a person
 * scrolling would see it.
 */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(artifacts, { recursive: true });
  const size = page.viewportSize() ?? LAPTOP;
  const path = join(artifacts, `${name}-${size.width}.png`);
  const height = await page.evaluate<number>('document.documentElement.scrollHeight');
  if (height > size.height) await page.setViewportSize({ width: size.width, height });
  await page.waitForTimeout(50);
  await page.screenshot({ path, fullPage: true, animations: 'disabled' });
  await page.setViewportSize(size);
  return path;
}

/** Opens the panel at `path` signed in with the admin token (kept in sessionStorage, as the sign-in form does). */
export async function signedInPage(context: BrowserContext, baseUrl: string, token: string, size = LAPTOP): Promise<Page> {
  const page = await context.newPage();
  await page.setViewportSize(size);
  await page.addInitScript({ content: `sessionStorage.setItem('tollgate.adminToken', ${JSON.stringify(token)})` });
  await page.goto(`${baseUrl}/admin/usage`);
  return page;
}

// Read from inside the page. Strings, not functions: the gateway's typecheck has no DOM library.
export const focusedName = (page: Page) => page.evaluate<string | null>("document.activeElement && document.activeElement.getAttribute('name')");
export const sidewaysOverflow = (page: Page) => page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
export const focusedBoxShadow = (page: Page) => page.evaluate<string>('getComputedStyle(document.activeElement).boxShadow');

/**
 * The controls (buttons, links, fields, switches) a person cannot see without scrolling sideways:
 * past the viewport's edge, or past the edge of a box that clips or scrolls them (a wide table in
 * its scrolling wrapper leaves the page itself without sideways overflow). Each is named by its
 * accessible label or text. Visually hidden (1px) and undisplayed elements do not count.
 */
export const offScreenControls = (page: Page) =>
  page.evaluate<string[]>(`(() => {
    const width = document.documentElement.clientWidth;
    const out = [];
    for (const el of document.querySelectorAll('button, a[href], input, select, textarea, [role="switch"]')) {
      const r = el.getBoundingClientRect();
      if (r.width <= 1 || r.height <= 1 || getComputedStyle(el).visibility === 'hidden') continue;
      let off = r.right > width + 0.5 || r.left < -0.5;
      for (let p = el.parentElement; p && !off; p = p.parentElement) {
        if (getComputedStyle(p).overflowX === 'visible') continue;
        const b = p.getBoundingClientRect();
        off = r.right > b.right + 0.5 || r.left < b.left - 0.5;
      }
      if (off) out.push((el.getAttribute('aria-label') || el.textContent || el.getAttribute('name') || el.tagName).trim().slice(0, 60));
    }
    return out;
  })()`);
