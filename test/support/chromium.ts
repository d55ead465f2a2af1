import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

/**
 * Flags for Debian's chromium driven by playwright-core: headless, no sandbox (root in a container), and
 * nothing that reaches the network on its own. The user data dir is given per launch (a fresh temp dir).
 */
export const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Debian's chromium; `npx playwright install` cannot download a browser here. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** A chromium context on a fresh temporary profile; `close` also removes the profile. */
export async function launchChromium(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'slipway-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(dataDir, {
      executablePath: CHROMIUM_PATH,
      args: chromiumArgs,
    });
    return {
      context,
      async close() {
        await context.close();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
}

/** Signs `login` in with its token on the dashboard at `base`, through the sign-in form. */
export async function signIn(page: Page, base: string, login: string, token: string): Promise<void> {
  await page.goto(`${base}/`);
  if (new URL(page.url()).pathname !== '/signin')
    throw new Error(`expected the sign-in page, got ${page.url()}`);
  await page.fill('input[name=token]', token);
  await page.click('form.signin button');
  await page.waitForURL(`${base}/`);
  const shown = await page.textContent('.who .login');
  if (shown !== login) throw new Error(`expected ${login} signed in, got ${shown}`);
}
