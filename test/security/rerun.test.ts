// Re-runs of failed jobs as the CLI and the dashboard take them: the real `slipway` binary on a real Git
// repository and store, and a real `slipway serve` answering the dashboard's forms. An approval is carried
// over to no other commit and no other plan; only a failed run is re-run; whoever may not start a run may
// not start a re-run either, refused the same way.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { submitDecision } from '../../src/approvals/service.ts';
import { dashboardRollback } from '../../src/cli/dashboard-actions.ts';
import { dashboardRerun } from '../../src/cli/dashboard-rerun.ts';
import { runContextLoader } from '../../src/cli/run-session.ts';
import { generateToken, hashToken } from '../../src/dashboard/auth/tokens.ts';
import { type Serving, serve } from '../../src/server/serve.ts';
import { openDashboardStore } from '../../src/store/dashboard-store.ts';
import { Store } from '../../src/store/store.ts';
import { checkoutsBeside } from '../../src/triggers/checkout.ts';
import { localPolicySource } from '../../src/triggers/policy-ref.ts';
import { cookiesOf, csrfOf, FORM, httpCall } from '../support/http-call.ts';

const SLIPWAY = resolve(import.meta.dirname, '../../bin/slipway');
const ME = userInfo().username;

const FILES: Record<string, string> = {
  'slipway.yml': [
    'environments: { prod: { branches: [main, hotfix] } }',
    `people: { alice: { os: [${ME}], dashboard: alice }, bob: { dashboard: bob } }`,
    '',
  ].join('\n'),
  // Its prod job fails until the runner holds a file outside the repository: fixed outside the commit.
  'pipelines/app.yml': [
    'name: app',
    'jobs:',
    '  build: { steps: [ { run: { command: ["true"] } } ] }',
    '  prod:',
    '    needs: [build]',
    '    environment: prod',
    '    approval: { approvers: [bob] }',
    '    steps: [ { run: { command: [test, -f, ../ready] } } ]',
    '  smoke: { needs: [prod], steps: [ { run: { command: ["true"] } } ] }',
    '',
  ].join('\n'),
  // Its deploy's plan lists the environment's hosts (no push recorded a digest), then fails for want of one.
  'pipelines/web.yml': [
    'name: web',
    'image: registry.invalid/acme/web',
    'jobs:',
    '  deploy:',
    '    environment: prod',
    '    approval: { approvers: [bob] }',
    '    steps: [ { deploy: { app: web, compose: compose.yml, hosts: all } } ]',
    '',
  ].join('\n'),
  'compose.yml': 'services: { web: { image: web } }\n',
};

let dir: string;
let repo: string;
let inventories: string;
let state: string;
let server: Serving;
const tokens: Record<string, string> = {};

const env = () => ({ ...process.env, SLIPWAY_STATE: state });
const slipway = (...args: string[]) =>
  execa(SLIPWAY, ['-C', repo, '--inventories', inventories, ...args], {
    env: env(),
    reject: false,
    timeout: 60_000,
  });
const git = (...args: string[]) =>
  execa('git', ['-C', repo, '-c', 'user.name=Carol', '-c', 'user.email=carol@example.com', ...args]);
const head = async () => (await git('rev-parse', 'HEAD')).stdout;
const runOf = (stderr: string) => Number(/^run (\d+):/m.exec(stderr)![1]);

function inStore<T>(read: (store: Store) => T): T {
  const store = new Store(state);
  try {
    return read(store);
  } finally {
    store.close();
  }
}

/** Bob approves on the dashboard's channel, through the one approval service. */
async function bobApproves(runId: number): Promise<void> {
  const store = new Store(state);
  try {
    const outcome = await submitDecision(store, {
      runId,
      actor: { identity: { channel: 'dashboard', login: 'bob' }, channel: 'dashboard' },
      decision: 'approve',
      policy: localPolicySource(repo, join(dir, 'policy'), 'main', { inventoriesRoot: inventories }),
    });
    expect(outcome, outcome.reason).toMatchObject({ accepted: true, opens: true });
  } finally {
    store.close();
  }
}

/** A run of `pipeline` that bob approved and that failed after the approval; returns its number. */
async function failedRun(pipeline: string): Promise<number> {
  const started = await slipway('run', pipeline, '--detach');
  expect(started.exitCode, started.stderr).toBe(3);
  const runId = runOf(started.stderr);
  await bobApproves(runId);
  const resumed = await slipway('resume', String(runId));
  expect(resumed.exitCode, resumed.stderr).toBe(1);
  expect(resumed.stderr).toContain(`re-run the failed jobs with: slipway rerun ${runId}`);
  return runId;
}

/** A dashboard POST by `login` (or nobody) with the session's CSRF token from the run page. */
async function post(login: string | undefined, path: string) {
  const base = server.url;
  if (!login) return httpCall(base, 'POST', path, { ...FORM, origin: base }, '');
  const page = await httpCall(base, 'GET', '/signin');
  const signin = await httpCall(
    base,
    'POST',
    '/signin',
    { ...FORM, origin: base, cookie: cookiesOf(page).join('; ') },
    new URLSearchParams({ _csrf: csrfOf(page), token: tokens[login]! }).toString(),
  );
  const cookie = cookiesOf(signin).find((c) => c.startsWith('slipway_session='))!;
  const home = await httpCall(base, 'GET', '/', { cookie });
  const body = new URLSearchParams({ _csrf: csrfOf(home) }).toString();
  return httpCall(base, 'POST', path, { ...FORM, origin: base, cookie }, body);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'slipway-rerun-security-'));
  repo = join(dir, 'ops');
  state = join(dir, 'state', 'state.db');
  inventories = join(dir, 'inventories');
  for (const [path, text] of Object.entries(FILES)) {
    mkdirSync(join(repo, path, '..'), { recursive: true });
    writeFileSync(join(repo, path), text);
  }
  // The environment's hosts live outside the commit (--inventories), as on the sandbox.
  mkdirSync(join(inventories, 'prod'), { recursive: true });
  writeFileSync(
    join(inventories, 'prod', 'hosts.yml'),
    'all: { hosts: { web1: { ansible_host: 192.0.2.1 } } }\n',
  );
  await git('init', '-q', '-b', 'main');
  await git('add', '-A');
  await git('commit', '-q', '-m', 'ops');
  // mallory still has a sign-in, but is nobody's dashboard login on the default branch (offboarded).
  const users = openDashboardStore(state);
  for (const login of ['alice', 'mallory']) {
    tokens[login] = generateToken();
    users.users.add(login, hashToken(tokens[login]));
  }
  users.close();
  server = await serve({
    host: '127.0.0.1',
    port: 0,
    statePath: state,
    repoUrl: pathToFileURL(repo).href,
    secrets: {},
    pollPipelines: [],
    inventoriesRoot: inventories,
    // The CLI executes the runs here: no worker competes for them.
    worker: false,
    loadRun: runContextLoader,
    dashboard: {
      environments: ['prod'],
      rollback: (store, req, policy) =>
        dashboardRollback(store, req, {
          root: repo,
          inventoriesRoot: inventories,
          policy,
          checkouts: checkoutsBeside(state),
        }),
      rerun: dashboardRerun,
    },
    log: () => {},
  });
}, 60_000);

afterAll(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('re-run of failed jobs', () => {
  it('refuses a run that did not fail, saying why, on the CLI and the dashboard, and queues nothing', async () => {
    const started = await slipway('run', 'pipelines/app.yml', '--detach');
    const waiting = runOf(started.stderr);
    const why =
      `run ${waiting} waiting, it did not fail: only the failed jobs of a failed run are re-run ` +
      '(it waits at a gate: decide it (slipway approve/reject), then it goes on)';
    const cli = await slipway('rerun', String(waiting));
    expect(cli.exitCode).toBe(1);
    expect(cli.stderr).toBe(`slipway: refused: ${why}`);
    const none = await slipway('rerun', '99');
    expect([none.exitCode, none.stderr]).toEqual([1, 'slipway: refused: there is no run 99']);

    const dashboard = await post('alice', `/runs/${waiting}/rerun`);
    expect(dashboard.status).toBe(403);
    expect(dashboard.body).toContain(why);
    expect(inStore((s) => s.gates.auditTrail().at(-1))).toMatchObject({
      runId: waiting,
      actor: 'alice',
      channel: 'dashboard',
      action: 'rerun',
      outcome: 'refused',
      reason: `run ${waiting}: ${why}`,
    });
    expect(inStore((s) => s.runs.list({}).map((r) => r.id))).toEqual([waiting]);
    inStore((s) => s.runs.requestCancel(waiting, 'test'));
    expect((await slipway('resume', String(waiting))).exitCode).toBe(4);
  });

  it('carries no approval to another commit: refused until the failed commit is checked out again', async () => {
    const failed = await failedRun('pipelines/app.yml');
    const sha = await head();
    await git('commit', '-q', '--allow-empty', '-m', 'later');
    const later = await head();
    const moved = await slipway('rerun', String(failed));
    expect(moved.exitCode).toBe(1);
    expect(moved.stderr).toBe(
      `slipway: refused: run ${failed} deployed commit ${sha.slice(0, 12)} (main), but the checkout at ${repo} ` +
        `is at ${later.slice(0, 12)}: check out ${sha.slice(0, 12)} to re-run it, or start a new run of this commit`,
    );
    const runs = inStore((s) => s.runs.list({ limit: 100 }).length);

    await git('checkout', '-q', sha);
    writeFileSync(join(dir, 'ready'), '');
    const rerun = await slipway('rerun', String(failed));
    expect(rerun.exitCode, rerun.stderr).toBe(0);
    const rerunId = runOf(rerun.stderr);
    expect(rerun.stderr).toContain(
      `run ${rerunId}: re-run of run ${failed} (prod, smoke) at ${sha.slice(0, 12)} (main)`,
    );
    expect(inStore((s) => s.runs.list({ limit: 100 }).length)).toBe(runs + 1);
    const detail = inStore((s) => s.detail(rerunId)!);
    expect(detail.run).toMatchObject({ sha, branch: 'main', rerunOf: failed, status: 'succeeded' });
    expect(detail.gates).toEqual([
      expect.objectContaining({
        status: 'approved',
        sha,
        carriedFrom: expect.objectContaining({ runId: failed }),
      }),
    ]);
    await git('checkout', '-q', 'main');
    await git('reset', '-q', '--hard', sha);
    rmSync(join(dir, 'ready'));
  });

  it('carries no approval to a changed plan: a host added to the environment opens the gate again', async () => {
    const failed = await failedRun('pipelines/web.yml');
    expect(inStore((s) => s.runs.get(failed)!.reason)).toContain('no image digest');
    writeFileSync(
      join(inventories, 'prod', 'hosts.yml'),
      'all: { hosts: { web1: { ansible_host: 192.0.2.1 }, web2: { ansible_host: 192.0.2.2 } } }\n',
    );
    const rerun = await slipway('rerun', String(failed), '--detach');
    expect(rerun.exitCode, rerun.stderr).toBe(3);
    const rerunId = runOf(rerun.stderr);
    const [gate] = inStore((s) => s.gates.ofRun(rerunId));
    expect(gate).toMatchObject({ status: 'pending', approvals: [] });
    expect(gate!.plan[0]!.changes.map((c) => c.host)).toEqual(['web1', 'web2']);
    const approved = inStore((s) => s.gates.ofRun(failed)[0]!);
    expect(inStore((s) => s.gates.auditTrail(rerunId))).toEqual([
      expect.objectContaining({
        gateId: gate!.id,
        actor: 'slipway',
        action: 'carry-over',
        outcome: 'refused',
        reason:
          `not carried over: the plan changed since run ${failed}'s approval ` +
          `(plan ${approved.planHash.slice(0, 12)} -> ${gate!.planHash.slice(0, 12)}); the gate opens again`,
      }),
    ]);
    inStore((s) => s.runs.requestCancel(rerunId, 'test'));
    await slipway('resume', String(rerunId));
  });

  it('refuses whoever may not start a run the way a run is refused', async () => {
    const failed = await failedRun('pipelines/app.yml');
    // On the dashboard: no session, or a login that is nobody's under the default branch (offboarded).
    for (const path of [`/runs/${failed}/rerun`, '/releases/prod/web/rollback']) {
      const anonymous = await post(undefined, path);
      expect([anonymous.status, anonymous.body.includes('Sign in first.')]).toEqual([403, true]);
      const offboarded = await post('mallory', path);
      expect(offboarded.status).toBe(403);
      expect(offboarded.body).toContain(
        'dashboard:mallory is not mapped to a person (add it under people in slipway.yml on the default branch): ' +
          'only people start runs',
      );
    }
    const refusals = inStore((s) => s.gates.auditTrail().slice(-4));
    expect(refusals.map((a) => [a.actor, a.action, a.outcome])).toEqual([
      ['anonymous', 'rerun', 'refused'],
      ['mallory', 'rerun', 'refused'],
      ['anonymous', 'rollback', 'refused'],
      ['mallory', 'rollback', 'refused'],
    ]);

    // On the CLI: a branch the default branch no longer lets into prod, refused as a new run of it is.
    await git('checkout', '-q', '-b', 'hotfix');
    const onHotfix = await failedRun('pipelines/app.yml');
    await git('checkout', '-q', 'main');
    writeFileSync(join(repo, 'slipway.yml'), FILES['slipway.yml']!.replace('[main, hotfix]', '[main]'));
    await git('commit', '-q', '-am', 'prod: main only');
    const policySha = (await head()).slice(0, 12);
    await git('checkout', '-q', 'hotfix');
    const refusal = `slipway: branch hotfix may not deploy to prod: slipway.yml on refs/heads/main (${policySha}) allows main`;
    const rerun = await slipway('rerun', String(onHotfix));
    const run = await slipway('run', 'pipelines/app.yml');
    expect([rerun.exitCode, rerun.stderr]).toEqual([2, refusal]);
    expect([run.exitCode, run.stderr]).toEqual([2, refusal]);
    expect(inStore((s) => s.runs.list({ limit: 1, kind: 'pipeline' })[0]!.id)).toBe(onHotfix);
    await git('checkout', '-q', 'main');
  });
});
