// The environment page in a real browser (Debian's chromium through playwright-core), served by a real
// `slipway serve` process over a clone of this repository pointed at a sandbox: what runs where is read
// live from the sandbox host, the last drift check comes from the serve's own schedule, and the Run,
// Redeploy and Roll back buttons queue runs through createRun and the gates, as the policy says who may.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { sites as sitesSchema } from '../../src/config/schema/sites.ts';
import { Store } from '../../src/store/store.ts';
import { cleanHost, startHostCaddy, stopHostCaddy } from '../support/app-deploy.ts';
import { launchChromium, signIn } from '../support/chromium.ts';
import { cloneOnSandbox, commitAsPusher } from '../support/cli-on-clone.ts';
import { freePort } from '../support/free-port.ts';
import { REPO_ROOT, type SandboxFixture, useSandbox } from '../support/sandbox.ts';
import { waitFor } from '../support/wait-for.ts';

const HOSTS = ['dev1', 'prod1'];
const ARTIFACTS = join(REPO_ROOT, 'test-artifacts');
/** Where the screenshot of the environment page is written (stable: the closing note names it). */
const SCREENSHOT = join(ARTIFACTS, 'dashboard-environment.png');

const EDGE = `# A drift check of dev's Caddy every minute (the runner's time zone); nothing is applied.
name: edge
on:
  schedule:
    - { cron: "* * * * *", mode: plan }
jobs:
  caddy-dev:
    environment: dev
    approval: { approvers: [alice], required: 1, allow_self_approval: true }
    steps:
      - caddy: { hosts: web, install: false }
`;

describe('the environment page in chromium', () => {
  let sb: SandboxFixture;
  const on = cloneOnSandbox({ prefix: 'slipway-dash-env-', timeoutMs: 300_000 });
  let serve: ChildProcess;
  let serveLog = '';
  let base: string;
  let browser: { context: BrowserContext; close(): Promise<void> };
  let page: Page;
  const tokens: Record<string, string> = {};
  const store = <T>(read: (s: Store) => T): T => {
    const s = new Store(on.at.env.SLIPWAY_STATE!);
    try {
      return read(s);
    } finally {
      s.close();
    }
  };
  const liveDigest = (host: string) =>
    store((s) => s.releases.list('dev', { app: 'web', host, limit: 1 })[0]!.digest);
  /** Clicks a start button and follows the run it queued to `status`; returns the run id. */
  const startAndFollow = async (button: string, status: string) => {
    await page.click(button);
    await page.waitForURL(/\/runs\/\d+$/);
    const runId = Number(/\/runs\/(\d+)$/.exec(page.url())![1]);
    await page.locator('#run-status', { hasText: new RegExp(`^${status}$`) }).waitFor({ timeout: 240_000 });
    return runId;
  };

  beforeAll(async () => {
    sb = await useSandbox({ name: 'dashenv', hosts: HOSTS });
    for (const h of HOSTS) await cleanHost(sb, h);
    await on.setUp(sb.inventoriesRoot, { SLIPWAY_REGISTRY_PASSWORD: sb.registry.password });
    const { clone } = on.at;
    const app = join(clone, 'pipelines/app.yml');
    await writeFile(app, (await readFile(app, 'utf8')).replaceAll('10.207.0.1:5000', sb.registry.address));
    // Only alice may start runs of dev by hand; bob, a person too, may not.
    const project = parse(await readFile(join(clone, 'slipway.yml'), 'utf8'));
    project.environments.dev.run_by = ['alice'];
    await writeFile(join(clone, 'slipway.yml'), stringify(project));
    await writeFile(join(clone, 'pipelines/edge.yml'), EDGE);
    await execa('git', ['-C', clone, 'add', 'pipelines/edge.yml']);
    await commitAsPusher(clone, 'dashboard environment e2e');
    // The clone is the ops repository serve fetches: its main is the default branch for the CLI too.
    await execa('git', ['-C', clone, 'remote', 'remove', 'origin']);
    // Caddy on dev1 serves the sites without status.example.test: the drift the schedule will find.
    const sites = sitesSchema.parse(parse(await readFile(join(clone, 'infra/sites.yml'), 'utf8')));
    delete sites.sites['status.example.test'];
    await startHostCaddy(sb, 'dev1', sites, 'dev');
    const first = await on.slipway('run', 'pipelines/app.yml', '--job', 'deploy-dev');
    expect(first.exitCode, first.stderr).toBe(0);
    for (const login of ['alice', 'bob']) {
      const r = await on.slipway('user', 'add', login);
      expect(r.exitCode, r.stderr).toBe(0);
      tokens[login] = r.stdout.trim();
    }

    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    serve = spawn(
      join(REPO_ROOT, 'bin/slipway'),
      [
        '-C',
        clone,
        '--inventories',
        sb.inventoriesRoot,
        'serve',
        '--listen',
        `127.0.0.1:${port}`,
        '--repo-url',
        `file://${clone}`,
        // The sample slipway.yml registers an app repository: serve needs to know which repository is ops.
        '--repository',
        'acme/ops',
      ],
      { env: on.at.env, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    serve.stderr!.on('data', (c: Buffer) => {
      serveLog += c.toString();
    });
    await waitFor('slipway serve', () => serveLog.includes('slipway serve on'), 60_000);
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await launchChromium();
    page = await browser.context.newPage();
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    serve?.kill('SIGTERM');
    if (serve && serve.exitCode === null) await new Promise((r) => serve.once('exit', r));
    if (sb) {
      await stopHostCaddy(sb, 'dev1');
      for (const h of HOSTS) await cleanHost(sb, h).catch(() => undefined);
    }
    await on.tearDown();
  });

  it('shows what runs where, read live from the host, and the drift the schedule found', async () => {
    await signIn(page, base, 'alice', tokens.alice!);
    const [release] = store((s) => s.releases.list('dev', { app: 'web' }));
    await page.goto(`${base}/environments/dev`);
    const row = page.locator('tr[data-app="web"][data-host="dev1"]');
    expect(await row.locator('td').nth(2).textContent()).toBe(release!.releaseId);
    expect(await row.locator('td').nth(3).textContent()).toBe(release!.digest.slice(7, 19));
    expect(await row.locator('.badge').textContent()).toBe('healthy');
    expect(await row.locator('.svc').textContent()).toMatch(
      /^web: healthy since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/,
    );
    // The first drift check comes within a minute of serve's start (its log states the time zone).
    expect(serveLog).toMatch(
      /schedule edge\[0\] "\* \* \* \* \*" \(plan of main\): next .* the runner's time zone/,
    );
    await waitFor(
      'the drift check on the page',
      async () => {
        await page.reload();
        return (await page.locator('.drift-checks .drift[data-pipeline="edge"]').count()) > 0;
      },
      120_000,
    );
    const drift = (await page.textContent('.drift-checks'))!;
    expect(drift).toContain('status.example.test');
    expect(await page.locator('h1 .badge').textContent()).toMatch(/^drift: \d+$/);
    // Nothing was applied: Caddy still lacks the site the drift names.
    const live = await sb.exec('dev1', [
      'curl',
      '-s',
      '--unix-socket',
      '/run/caddy/admin.sock',
      'http://localhost/config/',
    ]);
    expect(live).not.toContain('status.example.test');
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    process.stdout.write(`environment page screenshot: ${SCREENSHOT}\n`);
    await page.goto(`${base}/environments`);
    expect(await page.locator('li[data-env="dev"] .badge').textContent()).toMatch(/^drift: \d+$/);
  });

  it('runs the pipeline from the page, then rolls back and redeploys through the same gates', {
    timeout: 600_000,
  }, async () => {
    const before = liveDigest('dev1');
    // A new version on the default branch: the Run button builds and deploys it.
    const app = join(on.at.clone, 'pipelines/app.yml');
    await writeFile(app, (await readFile(app, 'utf8')).replace(/VERSION: "[^"]*"/, 'VERSION: "2.0"'));
    await commitAsPusher(on.at.clone, 'web 2.0');
    await page.goto(`${base}/environments/dev`);
    await page.selectOption('form.start-run select[name=pipeline]', 'web');
    const run = await startAndFollow('form.start-run .btn-run', 'succeeded');
    expect(store((s) => s.runs.get(run))).toMatchObject({
      triggeredBy: 'alice',
      channel: 'dashboard',
      pipeline: 'web',
    });
    const after = liveDigest('dev1');
    expect(after).not.toBe(before);

    await page.goto(`${base}/environments/dev`);
    const rollback = await startAndFollow('.app-actions[data-app="web"] .btn-rollback', 'succeeded');
    expect(store((s) => s.runs.get(rollback)!.rollback)).toMatchObject({ digest: before });
    expect(liveDigest('dev1')).toBe(before);

    await page.goto(`${base}/environments/dev`);
    const releaseBefore = await page.locator('tr[data-app="web"][data-host="dev1"] td').nth(2).textContent();
    const redeploy = await startAndFollow('.app-actions[data-app="web"] .btn-redeploy', 'succeeded');
    expect(store((s) => s.runs.get(redeploy)!.rollback)).toMatchObject({ kind: 'redeploy', digest: before });
    await page.goto(`${base}/environments/dev`);
    expect(await page.locator('tr[data-app="web"][data-host="dev1"] td').nth(2).textContent()).not.toBe(
      releaseBefore,
    );
    expect(await page.locator('tr[data-app="web"][data-host="dev1"] td').nth(3).textContent()).toBe(
      before.slice(7, 19),
    );
    expect(store((s) => s.gates.auditTrail().map((a) => [a.actor, a.action, a.outcome]))).toEqual(
      expect.arrayContaining([
        ['alice', 'run', 'accepted'],
        ['alice', 'rollback', 'accepted'],
        ['alice', 'redeploy', 'accepted'],
      ]),
    );
  });

  it("stops a run started from prod's page at prod's gate", async () => {
    await page.goto(`${base}/environments/prod`);
    await page.selectOption('form.start-run select[name=pipeline]', 'web');
    const run = await startAndFollow('form.start-run .btn-run', 'waiting');
    expect(store((s) => s.gates.latest(run, 'deploy-prod')?.status)).toBe('pending');
    expect(await page.locator('.gate .btn-approve').count()).toBe(1);
    await page.fill('.gate input[name=reason]', 'the e2e test stops here');
    await page.click('.gate .btn-reject');
    await page.locator('#run-status', { hasText: /^rejected$/ }).waitFor({ timeout: 60_000 });
  });

  it('offers bob no start in dev, where the policy does not let him, and refuses his forged POST', async () => {
    await page.click('.who button');
    await signIn(page, base, 'bob', tokens.bob!);
    await page.goto(`${base}/environments/dev`);
    expect(await page.locator('form.start-run, .btn-redeploy, .btn-rollback').count()).toBe(0);
    expect(await page.textContent('.no-start')).toContain('bob (dashboard:bob) may not start runs in dev');
    const runs = store((s) => s.runs.list().length);
    const csrf = (await page.getAttribute('.who input[name=_csrf]', 'value'))!;
    const forged = await page.request.post(`${base}/environments/dev/apps/web/redeploy`, {
      form: { _csrf: csrf },
      headers: { origin: base },
      maxRedirects: 0,
    });
    expect(forged.status()).toBe(403);
    expect(await forged.text()).toContain('may not start runs in dev');
    expect(store((s) => s.runs.list().length)).toBe(runs);
    expect(store((s) => s.gates.auditTrail().at(-1))).toMatchObject({
      actor: 'bob',
      action: 'redeploy',
      outcome: 'refused',
    });
  });
});
