import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Store, storePath } from '../../../src/store/store.ts';
import { ACTION_OPS_FILES, checkout, DEPLOY_TOKEN, ROOT, runAction } from '../../support/action-runner.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-action-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('actions/run and actions/approve bundles', () => {
  it('runs to the gate with outputs, summary and masked secrets, then approves as the workflow actor', async () => {
    await checkout(dir, ACTION_OPS_FILES);
    const run = await runAction(
      dir,
      'run',
      { pipeline: 'pipelines/app.yml', repo: 'repo' },
      { DEPLOY_TOKEN, GITHUB_ACTOR: 'alice' },
    );
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toEqual({ 'run-id': '1', status: 'waiting', 'image-digest': '' });
    expect(run.stdout).toContain(`::add-mask::${DEPLOY_TOKEN}`);
    expect(run.stdout).toContain('::notice::run 1 waits for approval of deploy');
    expect(run.summary).toContain('<h3>Slipway: app run 1 waiting</h3>');
    expect(run.summary).toMatch(
      /<tr><td>build<\/td><td>runner<\/td><td>succeeded<\/td><td>\d+(ms|s)<\/td><td><a href="https:\/\/github.com\/acme\/ops\/actions\/runs\/4242">run 1<\/a><\/td><\/tr>/,
    );
    // A job with no duration yet gets a dash, not a cell left open (`<td><td>run 1</td>`).
    expect(run.summary).toContain(
      '<tr><td>deploy</td><td>dev</td><td>waiting: waiting for approval (0 of 1; approvers: bob)</td><td>—</td><td><a href="https://github.com/acme/ops/actions/runs/4242">run 1</a></td></tr>',
    );
    expect(run.summary).not.toMatch(/<td><td>|<td><\/tr>/);

    const refused = await runAction(
      dir,
      'approve',
      { 'run-id': '1', repo: 'repo' },
      { GITHUB_ACTOR: 'mallory', GITHUB_TRIGGERING_ACTOR: 'mallory' },
    );
    expect(refused.exitCode).toBe(1);
    expect(refused.outputs).toEqual({ accepted: 'false', 'gate-status': 'pending' });
    expect(refused.stdout).toContain('::error::not counted: mallory is not among the approvers (bob)');

    const approved = await runAction(
      dir,
      'approve',
      { 'run-id': '1', repo: 'repo' },
      { DEPLOY_TOKEN, GITHUB_ACTOR: 'bob', GITHUB_TRIGGERING_ACTOR: 'bob' },
    );
    expect(approved.exitCode).toBe(0);
    expect(approved.outputs).toEqual({
      accepted: 'true',
      'gate-status': 'approved',
      status: 'succeeded',
      'image-digest': '',
    });
    expect(approved.stdout).toContain(`::add-mask::${DEPLOY_TOKEN}`);
    expect(approved.summary).toContain('<h3>Slipway: app run 1 succeeded</h3>');
  });

  it('refuses a workflow dispatched or re-run by a person run_by does not name, and takes a push', async () => {
    await checkout(dir, {
      ...ACTION_OPS_FILES,
      'slipway.yml': ACTION_OPS_FILES['slipway.yml']!.replace('dev: {}', 'dev: { run_by: [bob] }'),
    });
    const start = (login: string, event: string, attempt = '1') =>
      runAction(
        dir,
        'run',
        { pipeline: 'pipelines/app.yml', repo: 'repo' },
        {
          DEPLOY_TOKEN,
          GITHUB_ACTOR: login,
          GITHUB_TRIGGERING_ACTOR: login,
          GITHUB_EVENT_NAME: event,
          GITHUB_RUN_ATTEMPT: attempt,
        },
      );
    const dispatched = await start('mallory', 'workflow_dispatch');
    expect(dispatched.exitCode).toBe(1);
    expect(dispatched.stdout).toMatch(/::error::.*mallory \(github:mallory\) may not start runs in dev/);
    const rerunByHand = await start('mallory', 'push', '2');
    expect(rerunByHand.exitCode).toBe(1);
    expect((await start('mallory', 'push')).outputs).toMatchObject({ 'run-id': '1', status: 'waiting' });
    expect((await start('bob', 'workflow_dispatch')).outputs).toMatchObject({ 'run-id': '2' });
  });

  it('turns configuration errors into file/line annotations and fails', async () => {
    await checkout(dir, {
      ...ACTION_OPS_FILES,
      'pipelines/app.yml': 'name: app\njobs:\n  build: { stepz: [] }\n',
    });
    const run = await runAction(dir, 'run', { pipeline: 'app', repo: 'repo' });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain(
      '::error title=Slipway configuration,file=pipelines/app.yml,line=3,col=12::jobs.build.stepz: unknown key "stepz" (did you mean "steps"?)',
    );
    expect(run.stdout).toContain('::error::2 problem(s) in the ops repository');
    expect(run.outputs).toEqual({});
  });
});

describe('actions/run rerun', () => {
  it("re-runs a failed run's failed job on its commit with the approval carried over, and on no other commit", async () => {
    // The deploy fails until the runner has a file outside the repository: fixed outside the commit.
    const files = {
      ...ACTION_OPS_FILES,
      'pipelines/app.yml': ACTION_OPS_FILES['pipelines/app.yml']!.replace(
        /(deploy:[\s\S]*)command: \["true"\]/,
        '$1command: ["test", "-f", "../ready"]',
      ),
    };
    const repo = await checkout(dir, files);
    const actor = (login: string) => ({ DEPLOY_TOKEN, GITHUB_ACTOR: login, GITHUB_TRIGGERING_ACTOR: login });
    const first = await runAction(
      dir,
      'run',
      { pipeline: 'pipelines/app.yml', repo: 'repo' },
      actor('alice'),
    );
    expect(first.outputs.status).toBe('waiting');
    const approve = { 'run-id': '1', repo: 'repo', continue: 'false' };
    expect((await runAction(dir, 'approve', approve, actor('bob'))).exitCode).toBe(0);
    const resumed = await execa(join(ROOT, 'bin/slipway'), ['-C', repo, 'resume', '1'], {
      env: { ...process.env, ...actor('alice'), SLIPWAY_STATE: '' },
      reject: false,
    });
    expect(resumed.exitCode, resumed.stderr).toBe(1);
    expect(resumed.stderr).toContain('re-run the failed jobs with: slipway rerun 1');

    await writeFile(join(dir, 'ready'), '');
    const both = await runAction(dir, 'run', { pipeline: 'app', rerun: '1', repo: 'repo' }, actor('carol'));
    expect(both.stdout).toContain('::error::expected one of pipeline (a new run), rerun');
    expect(both.stdout).toContain('got pipeline and rerun');
    // The workflow checked out a later commit: the failed run's approval is not for it.
    await execa('git', ['-C', repo, 'commit', '-q', '--allow-empty', '-m', 'later'], {
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 'A',
        GIT_AUTHOR_EMAIL: 'a@x',
        GIT_COMMITTER_NAME: 'A',
        GIT_COMMITTER_EMAIL: 'a@x',
      },
    });
    const later = await runAction(dir, 'run', { rerun: '1', repo: 'repo' }, actor('carol'));
    expect(later.exitCode).toBe(1);
    expect(later.stdout).toMatch(/::error::run 1 deployed commit [0-9a-f]{12} \(main\), but the checkout at/);
    expect(later.outputs).toEqual({});

    await execa('git', ['-C', repo, 'checkout', '-q', 'HEAD~1']);
    const rerun = await runAction(dir, 'run', { rerun: '1', repo: 'repo' }, actor('carol'));
    expect(rerun.exitCode, rerun.stdout).toBe(0);
    expect(rerun.outputs).toEqual({ 'run-id': '2', status: 'succeeded', 'image-digest': '' });
    expect(rerun.stdout).toContain('run 2: re-run of run 1 (deploy)');
    expect(rerun.summary).toContain('<h3>Slipway: app run 2 succeeded</h3>');
    expect(rerun.summary).not.toContain('<td>build</td>');
    const store = new Store(storePath(repo, {}));
    try {
      expect(store.runs.get(2)).toMatchObject({
        rerunOf: 1,
        triggerIdentity: 'github:carol',
        branch: 'main',
      });
      expect(store.gates.latest(2, 'deploy')).toMatchObject({
        status: 'approved',
        carriedFrom: { runId: 1 },
        approvals: [expect.objectContaining({ login: 'bob', channel: 'forge' })],
      });
    } finally {
      store.close();
    }
  });
});

// Two workflows, as a team drives them: one runs the pipeline on push (and stops at the gate), another,
// dispatched by an approver, decides; nothing else (no `slipway serve`) is there to continue the run.
describe('the Actions path: a run waits at its gate, is approved from another workflow, and goes on', () => {
  const pusher = {
    DEPLOY_TOKEN,
    GITHUB_ACTOR: 'alice',
    GITHUB_TRIGGERING_ACTOR: 'alice',
    GITHUB_RUN_ID: '100',
  };
  const approver = {
    DEPLOY_TOKEN,
    GITHUB_ACTOR: 'bob',
    GITHUB_TRIGGERING_ACTOR: 'bob',
    GITHUB_RUN_ID: '200',
  };
  const store = <T>(read: (s: Store) => T): T => {
    const s = new Store(storePath(join(dir, 'repo'), {}));
    try {
      return read(s);
    } finally {
      s.close();
    }
  };
  const runState = () =>
    store((s) => ({
      run: s.runs.get(1)!.status,
      deploy: s.detail(1)!.jobs.find((j) => j.name === 'deploy')!.status,
      locked: s.locks.holds(1, 'dev'),
    }));
  const git = (...args: string[]) =>
    execa('git', ['-C', join(dir, 'repo'), '-c', 'user.name=A', '-c', 'user.email=a@x', ...args]);

  beforeEach(async () => {
    await checkout(dir, ACTION_OPS_FILES);
    const run = await runAction(dir, 'run', { pipeline: 'pipelines/app.yml', repo: 'repo' }, pusher);
    expect(run.outputs.status).toBe('waiting');
    expect(runState()).toEqual({ run: 'waiting', deploy: 'waiting', locked: true });
  });

  it('actions/approve continues the run once the gate opens: it ends, and the environment is free', async () => {
    const approved = await runAction(dir, 'approve', { 'run-id': '1', repo: 'repo' }, approver);
    expect(approved.exitCode, approved.stdout).toBe(0);
    expect(approved.outputs).toMatchObject({
      accepted: 'true',
      'gate-status': 'approved',
      status: 'succeeded',
    });
    expect(approved.stdout).toContain('continuing run 1: app at');
    expect(runState()).toEqual({ run: 'succeeded', deploy: 'succeeded', locked: false });
    expect(store((s) => s.runs.steps(1).map((st) => `${st.job} ${st.status}`))).toEqual([
      'build succeeded',
      'deploy succeeded',
    ]);
    // The summary is the approving workflow's, linking its own run.
    expect(approved.summary).toMatch(
      /<tr><td>deploy<\/td><td>dev<\/td><td>succeeded<\/td><td>\d+(ms|s)<\/td><td><a href="https:\/\/github.com\/acme\/ops\/actions\/runs\/200">run 1<\/a><\/td><\/tr>/,
    );
  });

  it('with continue: false it only decides; actions/run with run-id continues it, in the run’s own commit only', async () => {
    const decided = await runAction(
      dir,
      'approve',
      { 'run-id': '1', repo: 'repo', continue: 'false' },
      approver,
    );
    expect(decided.exitCode).toBe(0);
    expect(decided.outputs).toEqual({ accepted: 'true', 'gate-status': 'approved' });
    expect(decided.stdout).toContain('continue it with slipway/run and run-id: 1');
    expect(runState()).toEqual({ run: 'waiting', deploy: 'waiting', locked: true });

    // The workspace moved on to another commit: continuing there would run other files under the approval.
    const sha = (await git('rev-parse', 'HEAD')).stdout;
    await writeFile(join(dir, 'repo', 'notes.txt'), 'later\n');
    await git('add', 'notes.txt');
    await git('commit', '-qm', 'later');
    const moved = await runAction(dir, 'run', { 'run-id': '1', repo: 'repo' }, pusher);
    expect(moved.exitCode).toBe(1);
    expect(moved.stdout).toContain(`run 1 not continued: ${join(dir, 'repo')} holds `);
    expect(moved.stdout).toContain(`not the run's commit ${sha}: check that commit out at that path`);
    expect(runState()).toEqual({ run: 'waiting', deploy: 'waiting', locked: true });

    await git('checkout', '-q', '--detach', sha);
    const continued = await runAction(dir, 'run', { 'run-id': '1', repo: 'repo' }, pusher);
    expect(continued.exitCode, continued.stdout).toBe(0);
    expect(continued.outputs).toEqual({ 'run-id': '1', status: 'succeeded', 'image-digest': '' });
    expect(runState()).toEqual({ run: 'succeeded', deploy: 'succeeded', locked: false });
  });

  it('a rejection from the second workflow ends the run rejected and frees the environment', async () => {
    const rejected = await runAction(
      dir,
      'approve',
      { 'run-id': '1', repo: 'repo', decision: 'reject', reason: 'not today' },
      approver,
    );
    expect(rejected.exitCode, rejected.stdout).toBe(0);
    expect(rejected.outputs).toMatchObject({
      accepted: 'true',
      'gate-status': 'rejected',
      status: 'rejected',
    });
    expect(runState()).toEqual({ run: 'rejected', deploy: 'rejected', locked: false });
  });

  it('actions/run takes one of pipeline, rerun and run-id', async () => {
    const both = await runAction(dir, 'run', { pipeline: 'app', 'run-id': '1', repo: 'repo' }, pusher);
    expect(both.exitCode).toBe(1);
    expect(both.stdout).toContain('got pipeline and run-id');
    const unknown = await runAction(dir, 'run', { 'run-id': '9', repo: 'repo' }, pusher);
    expect(unknown.stdout).toContain('::error::run-id: there is no run 9 in the state store');
  });
});

describe('scripts/build-actions.sh', () => {
  it('builds byte-identical bundles from the same sources', async () => {
    await execa('bash', [join(ROOT, 'scripts/build-actions.sh'), join(dir, 'a')]);
    await execa('bash', [join(ROOT, 'scripts/build-actions.sh'), join(dir, 'b')]);
    for (const action of ['run', 'approve']) {
      const a = await readFile(join(dir, 'a', action, 'dist/index.js'));
      const b = await readFile(join(dir, 'b', action, 'dist/index.js'));
      expect(a.equals(b), `${action} bundle differs between two builds`).toBe(true);
    }
  });

  // Actions run the committed bundle, not the sources: a change to the engine, steps or store that is not
  // rebuilt into dist/ would ship old behaviour to every workflow.
  it('the committed bundles are built from the current sources', async () => {
    await execa('bash', [join(ROOT, 'scripts/build-actions.sh'), join(dir, 'fresh')]);
    for (const action of ['run', 'approve']) {
      const fresh = await readFile(join(dir, 'fresh', action, 'dist/index.js'));
      const committed = await readFile(join(ROOT, 'actions', action, 'dist/index.js'));
      expect(fresh.equals(committed), `actions/${action}/dist is stale: run scripts/build-actions.sh`).toBe(
        true,
      );
    }
  });
});
