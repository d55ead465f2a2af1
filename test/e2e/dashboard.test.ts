// The dashboard in a real browser (Debian's chromium through playwright-core) served by a real
// `slipway serve` (HTTP server, SQLite store, and its worker executing `run` steps behind an approval gate).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TrustedPolicy, trustedPolicyOf } from '../../src/approvals/trusted-policy.ts';
import { dashboardRerun } from '../../src/cli/dashboard-rerun.ts';
import { runContextLoader } from '../../src/cli/run-session.ts';
import { loadRepo } from '../../src/config/load-repo.ts';
import type { OpsRepo } from '../../src/config/types.ts';
import { createRun } from '../../src/engine/create-run.ts';
import { type Serving, serve } from '../../src/server/serve.ts';
import type { Store } from '../../src/store/store.ts';
import { launchChromium, signIn as signInAs } from '../support/chromium.ts';
import { until } from '../support/engine-fixture.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const ARTIFACTS = join(ROOT, 'test-artifacts');
const SECRET = 'hunter2-s3cr3t-value';

const PIPELINE = `
name: demo
secrets:
  DEMO_TOKEN: { env: DEMO_TOKEN }
jobs:
  build:
    steps:
      - run: { command: [/bin/echo, building the demo] }
      - run: { command: [/usr/bin/printenv, T], env: { T: "\${{ secrets.DEMO_TOKEN }}" } }
  deploy:
    needs: [build]
    approval: { approvers: [alice], required: 1 }
    steps:
      - run: { command: [/bin/echo, deploying the demo] }
      - run: { command: [/bin/sleep, "1.5"] }
      - run: { command: [/bin/echo, deployed the demo] }
`;

// Its deploy fails until the runner holds a file outside the repository: fixed outside the commit.
const FLAKY = `
name: flaky
jobs:
  build:
    steps:
      - run: { command: [/bin/echo, building flaky] }
  deploy:
    needs: [build]
    approval: { approvers: [alice], required: 1 }
    steps:
      - run: { command: [/bin/test, -f, ../ready] }
      - run: { command: [/bin/echo, deployed flaky] }
`;

let dir: string;
let store: Store;
let repo: OpsRepo;
let policy: TrustedPolicy;
let server: Serving;
let attacker: Server;
let base: string;
let browser: { context: BrowserContext; close(): Promise<void> };
let page: Page;
const tokens: Record<string, string> = {};
/** The run left waiting at its gate by the cross-site test, for the non-approver test. */
let gatedRun: number;

async function listen(s: Server): Promise<string> {
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

/** Queues a run of a pipeline (at a made-up commit unless given); the server's worker executes it. */
function startRun(name = 'demo', sha = 'c0ffee'.repeat(6) + 'abcd'): number {
  const pipeline = repo.pipelines.find((p) => p.pipeline.name === name)!;
  const runId = createRun(store, {
    repo,
    pipeline,
    commit: { sha, branch: 'main', authorName: 'dev' },
    triggeredBy: 'dev',
    channel: 'cli',
    policy,
  });
  server.worker!.tick();
  return runId;
}

const signIn = (login: string) => signInAs(page, base, login, tokens[login]!);

// Locators wait by polling the DOM from the driver: no script evaluation, which the dashboard's CSP forbids.
const waitForRunStatus = (status: string) =>
  page.locator('#run-status', { hasText: new RegExp(`^${status}$`) }).waitFor({ timeout: 60_000 });

const waitForLog = (text: string) => page.locator('#log', { hasText: text }).waitFor({ timeout: 60_000 });

const auditRows = () => store.gates.auditTrail();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'slipway-dashboard-e2e-'));
  mkdirSync(ARTIFACTS, { recursive: true });
  const repoDir = join(dir, 'ops');
  mkdirSync(join(repoDir, 'pipelines'), { recursive: true });
  writeFileSync(
    join(repoDir, 'slipway.yml'),
    'people: { alice: { dashboard: alice }, mallory: { dashboard: mallory } }\n',
  );
  writeFileSync(join(repoDir, 'pipelines', 'demo.yml'), PIPELINE);
  writeFileSync(join(repoDir, 'pipelines', 'flaky.yml'), FLAKY);
  // The policy (people, gates) is read from the repository's default branch.
  const git = (...args: string[]) =>
    execa('git', ['-C', repoDir, '-c', 'user.name=Dev', '-c', 'user.email=dev@example.com', ...args]);
  await git('init', '--quiet', '--initial-branch=main');
  await git('add', '--all');
  await git('commit', '--quiet', '-m', 'ops');
  const loaded = await loadRepo(repoDir);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  repo = loaded.repo;
  policy = trustedPolicyOf(repo, 'refs/heads/main', (await git('rev-parse', 'HEAD')).stdout.trim());

  const dbPath = join(dir, 'state.db');
  // Users are made the way an operator makes them: with the CLI, which prints the token once.
  for (const login of ['alice', 'mallory']) {
    const out = await execa(join(ROOT, 'bin/slipway'), ['-C', repoDir, 'user', 'add', login], {
      env: { SLIPWAY_STATE: dbPath },
    });
    tokens[login] = out.stdout.trim();
    expect(tokens[login]).toMatch(/^slw_[A-Za-z0-9_-]{43}$/);
  }
  // The worker's runs read their secrets from the server's environment.
  process.env.DEMO_TOKEN = SECRET;
  server = await serve({
    host: '127.0.0.1',
    port: 0,
    statePath: dbPath,
    repoUrl: pathToFileURL(repoDir).href,
    secrets: {},
    pollPipelines: [],
    worker: { concurrency: 4, pollMs: 100, graceMs: 5_000 },
    loadRun: runContextLoader,
    dashboard: { environments: [], rerun: dashboardRerun },
    log: () => {},
  });
  store = server.store;
  base = server.url;

  // Another origin serving a page that posts an approval to the dashboard: a cross-site request forgery.
  attacker = createServer((req, res) => {
    const [, runId] = /run=(\d+)/.exec(req.url ?? '') ?? [];
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(`<form id="f" method="post" action="${base}/runs/${runId}/jobs/deploy/approve"></form>
<script>document.getElementById('f').submit()</script>`);
  });
  await listen(attacker);

  browser = await launchChromium();
  page = await browser.context.newPage();
}, 120_000);

afterAll(async () => {
  for (const r of store?.runs.list({ limit: 100 }) ?? []) store.runs.requestCancel(r.id, 'test teardown');
  await browser?.close();
  await server?.close();
  attacker?.close();
  delete process.env.DEMO_TOKEN;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('dashboard in chromium', () => {
  it('signs in, shows the gate with its plan, approves, and follows the run live to success', async () => {
    const runId = startRun();
    await signIn('alice');
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-runs.png'), fullPage: true });
    expect(await page.textContent(`a[href="/runs/${runId}"]`)).toBe(String(runId));

    await page.click(`a[href="/runs/${runId}"]`);
    // The run reaches its gate while the page is open: the live part swaps in the gate and its buttons.
    await page.waitForSelector('.gate .btn-approve', { timeout: 60_000 });
    const gate = (await page.textContent('.gate'))!;
    expect(gate).toContain('deploying the demo');
    expect(gate).toContain('/bin/sleep');
    expect(await page.locator('.graph .node[data-job="deploy"]').getAttribute('class')).toContain(
      'st-waiting',
    );
    await waitForLog('building the demo');
    const log = (await page.textContent('#log'))!;
    expect(log).not.toContain(SECRET);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-gate.png'), fullPage: true });

    await page.click('.gate .btn-approve');
    await page.waitForURL(`${base}/runs/${runId}`);
    // From here on the page must not reload: a marker on window survives only live updates.
    await page.evaluate(() => {
      (globalThis as unknown as { marker: number }).marker = 1;
    });
    await waitForRunStatus('succeeded');
    await waitForLog('deployed the demo');
    expect(await page.evaluate(() => (globalThis as unknown as { marker?: number }).marker)).toBe(1);
    expect(await page.locator('.graph .node[data-job="deploy"]').getAttribute('class')).toContain(
      'st-succeeded',
    );
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-succeeded.png'), fullPage: true });

    expect(store.runs.get(runId)!.status).toBe('succeeded');
    expect(auditRows()).toContainEqual(
      expect.objectContaining({
        runId,
        actor: 'alice (dashboard:alice)',
        channel: 'dashboard',
        action: 'approve',
        outcome: 'accepted',
      }),
    );
  });

  it('rejects with a reason and the run ends rejected', async () => {
    const runId = startRun();
    await until(() => store.gates.latest(runId, 'deploy')?.status === 'pending', 60_000, 'the gate');
    await page.goto(`${base}/approvals`);
    await page.waitForSelector(`.gate a[href="/runs/${runId}#job-deploy"]`);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-approvals.png'), fullPage: true });
    await page.goto(`${base}/runs/${runId}`);
    await page.fill('.gate input[name=reason]', 'not during the freeze');
    await page.click('.gate .btn-reject');
    await page.waitForURL(`${base}/runs/${runId}`);
    await waitForRunStatus('rejected');
    expect(await page.textContent('.gate')).toContain('not during the freeze');
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-rejected.png'), fullPage: true });
    expect(store.runs.get(runId)!.status).toBe('rejected');
    expect(auditRows()).toContainEqual(
      expect.objectContaining({
        runId,
        actor: 'alice (dashboard:alice)',
        action: 'reject',
        outcome: 'accepted',
        reason: 'not during the freeze',
      }),
    );
  });

  it('refuses approvals posted from another site or another origin, even with an approver signed in', async () => {
    const runId = startRun();
    gatedRun = runId;
    await page.goto(`${base}/runs/${runId}`);
    await page.waitForSelector('.gate .btn-approve', { timeout: 60_000 });
    const port = (attacker.address() as AddressInfo).port;
    const forge = async (origin: string) => {
      const before = auditRows().length;
      const response = page.waitForResponse((r) => r.url() === `${base}/runs/${runId}/jobs/deploy/approve`);
      await page.goto(`${origin}/?run=${runId}`);
      expect((await response).status()).toBe(403);
      return auditRows().slice(before);
    };
    // Another site (localhost is not 127.0.0.1): SameSite=Strict keeps alice's cookie off, the POST is anonymous.
    expect(await forge(`http://localhost:${port}`)).toEqual([
      expect.objectContaining({ actor: 'anonymous', channel: 'dashboard', outcome: 'refused' }),
    ]);
    // Same site, another origin (another port): the cookie comes along, the Origin and CSRF checks refuse it.
    expect(await forge(`http://127.0.0.1:${port}`)).toEqual([
      expect.objectContaining({
        actor: 'alice',
        outcome: 'refused',
        reason: expect.stringContaining('bad origin or CSRF token'),
      }),
    ]);
    expect(store.gates.latest(runId, 'deploy')!.status).toBe('pending');
  });

  it('shows a non-approver no buttons and refuses their forged POSTs, auditing each', async () => {
    const runId = gatedRun;
    await page.click('.who button'); // sign alice out
    await page.waitForURL(/\/signin$/);
    await signIn('mallory');
    await page.goto(`${base}/runs/${runId}`);
    await page.waitForSelector('.gate');
    expect(await page.locator('.gate .btn-approve, .gate .btn-reject').count()).toBe(0);
    expect(await page.textContent('.gate .no-decide')).toContain('mallory is not among the approvers');
    expect(await page.textContent('.gate')).toContain('deploying the demo');
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-non-approver.png'), fullPage: true });

    const before = auditRows().length;
    const csrf = (await page.getAttribute('.who input[name=_csrf]', 'value'))!;
    const post = (path: string, form: Record<string, string>, headers: Record<string, string> = {}) =>
      page.request.post(`${base}${path}`, { form, headers: { origin: base, ...headers }, maxRedirects: 0 });
    const approve = `/runs/${runId}/jobs/deploy/approve`;
    // With her own valid session and token: the policy refuses her.
    expect((await post(approve, { _csrf: csrf })).status()).toBe(403);
    // Without a token, with a wrong one, from a foreign origin.
    expect((await post(approve, {})).status()).toBe(403);
    expect((await post(approve, { _csrf: `${csrf}x` })).status()).toBe(403);
    expect((await post(approve, { _csrf: csrf }, { origin: 'http://evil.example' })).status()).toBe(403);

    const refusals = auditRows().slice(before);
    expect(refusals).toHaveLength(4);
    // The policy's refusal names the person with the login; the request checks name the session's login.
    expect(refusals.map((r) => r.actor)).toEqual([
      'mallory (dashboard:mallory)',
      'mallory',
      'mallory',
      'mallory',
    ]);
    expect(refusals.every((r) => r.channel === 'dashboard' && r.outcome === 'refused')).toBe(true);
    expect(refusals[0]).toMatchObject({
      runId,
      action: 'approve',
      reason: expect.stringContaining('not among the approvers'),
    });
    expect(store.gates.latest(runId, 'deploy')!.status).toBe('pending');

    await page.goto(`${base}/audit`);
    expect(await page.locator('tr.outcome-refused').count()).toBeGreaterThanOrEqual(5);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-audit.png'), fullPage: true });
  });

  it('re-runs the failed jobs of a failed run from its page: same commit, the approval carried over', async () => {
    await page.click('.who button'); // sign mallory out
    await page.waitForURL(/\/signin$/);
    await signIn('alice');
    const runId = startRun('flaky', policy.sha);
    await page.goto(`${base}/runs/${runId}`);
    await page.waitForSelector('.gate .btn-approve', { timeout: 60_000 });
    await page.click('.gate .btn-approve');
    await page.waitForURL(`${base}/runs/${runId}`);
    await waitForRunStatus('failed');
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-failed.png'), fullPage: true });

    // A forged re-run (no CSRF token) is refused and audited like any other form.
    const before = auditRows().length;
    const forged = await page.request.post(`${base}/runs/${runId}/rerun`, {
      form: {},
      headers: { origin: base },
      maxRedirects: 0,
    });
    expect(forged.status()).toBe(403);
    expect(auditRows().slice(before)).toEqual([
      expect.objectContaining({ actor: 'alice', action: 'rerun', outcome: 'refused', runId }),
    ]);

    writeFileSync(join(dir, 'ready'), '');
    await page.click('.btn-rerun');
    await page.waitForURL((url) => /^\/runs\/\d+$/.test(url.pathname) && url.pathname !== `/runs/${runId}`);
    const rerunId = Number(new URL(page.url()).pathname.split('/').at(-1));
    await waitForRunStatus('succeeded');
    await waitForLog('deployed flaky');
    expect(await page.textContent('.run-meta .rerun')).toBe(`re-run of run ${runId}`);
    expect(await page.textContent('.gate .carried')).toContain(
      `Carried over from run ${runId}: approval carried over from run ${runId}`,
    );
    expect(await page.locator('.graph .node').count()).toBe(1);
    expect(await page.locator('.btn-rerun').count()).toBe(0);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-rerun.png'), fullPage: true });

    const rerun = store.detail(rerunId)!;
    expect(rerun.run).toMatchObject({
      rerunOf: runId,
      sha: policy.sha,
      triggeredBy: 'alice',
      triggerIdentity: 'dashboard:alice',
      channel: 'dashboard',
    });
    expect(rerun.jobs.map((j) => j.name)).toEqual(['deploy']);
    expect(rerun.gates[0]).toMatchObject({ status: 'approved', carriedFrom: { runId } });
    // Nobody decided on the re-run: the audit says who started it and that the approval was carried over.
    expect(store.gates.auditTrail(rerunId).map((a) => [a.actor, a.action, a.outcome])).toEqual([
      ['alice', 'rerun', 'accepted'],
      ['slipway', 'carry-over', 'recorded'],
    ]);
  });
});
