// Rollbacks, redeploys and restores of an app registered under `apps:`: real origins (ops, app), a real
// `slipway serve` intake queuing the app's runs, a real store; the rollback is queued from the dashboard on a
// clone of the ops repository and must be an app run like the one that made the release.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { jobGate, runPipelineKey } from '../../../src/approvals/trusted-policy.ts';
import { dashboardRollback } from '../../../src/cli/dashboard-actions.ts';
import { formatConfigError } from '../../../src/config/load-repo.ts';
import { createRestoreRun } from '../../../src/engine/restore-run.ts';
import type { Store } from '../../../src/store/store.ts';
import { jobRequesterFor } from '../../../src/triggers/app-job-run.ts';
import { checkoutsBeside } from '../../../src/triggers/checkout.ts';
import { remotePolicySource } from '../../../src/triggers/policy-ref.ts';
import { loadRunTrees } from '../../../src/triggers/run-trees.ts';
import { appPush, gatedOpsFiles } from '../../support/app-repos.ts';
import { createGitOrigin, type GitOrigin } from '../../support/git-origin.ts';
import { type ServeFixture, startServeFixture } from '../../support/serve-fixture.ts';

const OLD = `sha256:${'a'.repeat(64)}`;
const LIVE = `sha256:${'b'.repeat(64)}`;
const CONFIG = { composeFile: 'compose.yml', compose: 'services: {}\n', env: {}, secrets: {} };

/** The ops repository: dev gated by alice in its own pipeline; bob signs in to the dashboard; app notes registered. */
const opsFiles = (appUrl: string) =>
  gatedOpsFiles(appUrl, {
    people: '{ alice: { github: alice }, bob: { dashboard: bob } }',
    approval: '{ approvers: [alice] }',
  });

/** The app's own pipeline: build, push and deploy of app notes to dev (its job names no gate of its own). */
const APP_FILES = {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: compose names the image as ${SLIPWAY_IMAGE}
  'compose.yml': 'services:\n  web:\n    image: ${SLIPWAY_IMAGE}\n',
  '.slipway/pipeline.yml': [
    'name: notes',
    'on: { push: { branches: [main] } }',
    'image: registry.example:5000/acme/notes',
    'jobs:',
    '  build: { steps: [ { build: { context: . } } ] }',
    '  push: { needs: [build], steps: [ { push: {} } ] }',
    '  deploy:',
    '    needs: [push]',
    '    environment: dev',
    '    steps: [ { deploy: { app: notes, compose: compose.yml, hosts: all } } ]',
    '',
  ].join('\n'),
};

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Serve (acme/ops) with app notes registered, a clone of the ops repository it serves, and serve's checkouts. */
async function registered() {
  const app: GitOrigin = await createGitOrigin();
  cleanups.push(app.cleanup);
  const fx: ServeFixture = await startServeFixture({ repository: 'acme/ops' }, opsFiles(app.url));
  cleanups.push(fx.close);
  const served = join(fx.dir, 'served');
  await execa('git', ['clone', '--quiet', fx.origin.url, served]);
  const checkouts = checkoutsBeside(join(fx.dir, 'state.db'));
  const policy = remotePolicySource(checkouts, fx.origin.url);
  const opsSha = (await execa('git', ['ls-remote', fx.origin.url, 'refs/heads/main'])).stdout.split('\t')[0]!;
  return { fx, app, store: fx.server.store, opsSha, policy, at: { root: served, policy, checkouts } };
}

/** `registered()` with two app pushes queued (runs 1 and 2) and releases r1 and r2 they recorded. */
async function twoReleases() {
  const setup = await registered();
  const { fx, app, store } = setup;
  const first = await app.commit({ ...APP_FILES, VERSION: '1' });
  await fx.deliver('github', 'push', appPush(first));
  await fx.server.idle();
  const second = await app.commit({ VERSION: '2' });
  await fx.deliver('github', 'push', appPush(second));
  await fx.server.idle();
  expect(store.runs.list().map((r) => [r.id, r.sha])).toEqual([
    [2, second],
    [1, first],
  ]);
  recordRelease(store, 'r1', OLD, { runId: 1, sha: first });
  recordRelease(store, 'r2', LIVE, { runId: 2, sha: second });
  return { ...setup, first, second };
}

/** Records a release of notes on web1 in dev, with its compose file and configuration; by `by`'s run and commit. */
function recordRelease(store: Store, releaseId: string, digest: string, by?: { runId: number; sha: string }) {
  store.releases.record({
    environment: 'dev',
    host: 'web1',
    app: 'notes',
    releaseId,
    digest,
    configHash: 'h',
    ...by,
    config: CONFIG,
  });
}

/** Run `id` reloaded from its recorded trees, and the gate its job gets under the policy in force. */
async function treesAndGate(
  store: Store,
  id: number,
  policyRoot: string,
  policy: Parameters<typeof jobGate>[0],
) {
  const run = store.runs.get(id)!;
  const loaded = await loadRunTrees(run, policyRoot);
  if (!loaded.ok) throw new Error(loaded.errors.map(formatConfigError).join('\n'));
  const file = loaded.repo.pipelines.find((p) => p.file === run.pipelineFile)!;
  const key = runPipelineKey(loaded.repo.root, run.pipelineFile, run.app?.name);
  return { run, gate: jobGate(policy, key, 'deploy', file.pipeline.jobs.deploy!) };
}

describe('rollback, redeploy and restore of a registered app', () => {
  it('a rollback is an app run at the commit that made the release, under the ops commit in force, behind the gate of dev', async () => {
    const { store, first, opsSha, policy, at, fx } = await twoReleases();
    // The first commit's tree was pruned meanwhile: it is fetched again from the registered URL.
    await rm(join(fx.dir, 'work', first), { recursive: true, force: true });
    const result = await dashboardRollback(store, { env: 'dev', app: 'notes', login: 'bob' }, at);
    expect(result).toMatchObject({ ok: true, runId: '3', message: 'rollback of notes in dev to r1 queued' });
    const trusted = await policy.current();
    const { run, gate } = await treesAndGate(store, 3, trusted.root, trusted);
    expect(run).toMatchObject({
      pipeline: 'notes',
      pipelineFile: '.slipway/pipeline.yml',
      sha: first,
      branch: 'main',
      triggeredBy: 'bob',
      channel: 'dashboard',
      rollback: { releaseId: 'r1', digest: OLD },
      app: { name: 'notes', opsSha },
    });
    expect(run.repoRoot).toBe(join(fx.dir, 'work', first));
    expect(store.detail(3)!.jobs.map((j) => j.name)).toEqual(['deploy']);
    // No gate of the app's pipeline and no ops job lends it a weaker one: dev's strictest gate.
    expect(gate?.approvers).toEqual(['alice']);
  });

  it('a redeploy is an app run at the commit of the live release', async () => {
    const { store, second, at } = await twoReleases();
    const result = await dashboardRollback(store, { env: 'dev', app: 'notes', login: 'bob' }, at, {
      redeploy: true,
    });
    expect(result).toMatchObject({ ok: true, message: 'redeploy of notes in dev (r2) queued' });
    expect(store.runs.get(3)).toMatchObject({
      sha: second,
      rollback: { releaseId: 'r2', kind: 'redeploy' },
      app: { name: 'notes' },
    });
  });

  it('a restore is an app run at the commit of the live release', async () => {
    const { store, second, opsSha, policy, at } = await twoReleases();
    store.backups.record({
      environment: 'dev',
      host: 'web1',
      app: 'notes',
      service: 'db',
      backupId: '20261201-100000-db',
      path: '/srv/backups/notes/db.gz',
      bytes: 10,
      durationMs: 1,
      reason: 'before release r2',
    });
    const trusted = await policy.current();
    const who = {
      repo: { ...trusted, root: at.root } as never,
      commit: { sha: 'f'.repeat(40), branch: 'main' },
      triggeredBy: 'bob',
      channel: 'cli' as const,
      policy: trusted,
    };
    const asked = await jobRequesterFor(store, who, { env: 'dev', app: 'notes' }, at.checkouts);
    const { runId } = createRestoreRun(store, {
      ...asked,
      env: 'dev',
      app: 'notes',
      backup: '20261201-100000-db',
    });
    expect(store.runs.get(runId)).toMatchObject({
      sha: second,
      pipelineFile: '.slipway/pipeline.yml',
      restoreBackup: 1,
      app: { name: 'notes', opsSha },
    });
  });

  it('takes the commit of the app run that recorded the live release when the chosen one has none', async () => {
    const { store, second, at } = await twoReleases();
    // r3 was recorded by no run (say, before the app moved to its repository): r2's run is the newest with one.
    recordRelease(store, 'r3', `sha256:${'c'.repeat(64)}`);
    const redeploy = await dashboardRollback(store, { env: 'dev', app: 'notes', login: 'bob' }, at, {
      redeploy: true,
    });
    expect(redeploy).toMatchObject({ ok: true, message: 'redeploy of notes in dev (r3) queued' });
    expect(store.runs.get(3)).toMatchObject({ sha: second, rollback: { releaseId: 'r3' } });
  });

  it('refuses, queuing nothing, when no run of the app repository recorded a release there', async () => {
    const { store, at } = await registered();
    recordRelease(store, 'r1', OLD);
    recordRelease(store, 'r2', LIVE);
    const result = await dashboardRollback(store, { env: 'dev', app: 'notes', login: 'bob' }, at);
    expect(result).toEqual({
      ok: false,
      reason:
        "no run of app notes's repository recorded a release in dev: push an app commit to deploy it first",
    });
    expect(store.runs.list()).toEqual([]);
  });
});
