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
    expect(run.summary).toContain('<td>deploy</td><td>dev</td><td>waiting: waiting for approval');

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
      { GITHUB_ACTOR: 'bob', GITHUB_TRIGGERING_ACTOR: 'bob' },
    );
    expect(approved.exitCode).toBe(0);
    expect(approved.outputs).toEqual({ accepted: 'true', 'gate-status': 'approved' });
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
    expect((await runAction(dir, 'approve', { 'run-id': '1', repo: 'repo' }, actor('bob'))).exitCode).toBe(0);
    const resumed = await execa(join(ROOT, 'bin/slipway'), ['-C', repo, 'resume', '1'], {
      env: { ...process.env, ...actor('alice'), SLIPWAY_STATE: '' },
      reject: false,
    });
    expect(resumed.exitCode, resumed.stderr).toBe(1);
    expect(resumed.stderr).toContain('re-run the failed jobs with: slipway rerun 1');

    await writeFile(join(dir, 'ready'), '');
    const both = await runAction(dir, 'run', { pipeline: 'app', rerun: '1', repo: 'repo' }, actor('carol'));
    expect(both.stdout).toContain('::error::expected either pipeline (a new run) or rerun');
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
