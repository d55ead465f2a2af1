import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

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
