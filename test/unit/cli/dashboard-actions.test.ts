import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { dashboardRollback, dashboardRun } from '../../../src/cli/dashboard-actions.ts';
import { Store } from '../../../src/store/store.ts';
import { checkoutsBeside } from '../../../src/triggers/checkout.ts';
import { cloneOfThisCheckout } from '../../support/checkout-clone.ts';
import { projectPolicy } from '../../support/policy.ts';

// The sample ops repository (this checkout) deploys app `web` to dev through its deploy-dev job; the
// dashboard serves a clone of its last commit.
const ROOT = resolve(import.meta.dirname, '../../..');
let clone: Awaited<ReturnType<typeof cloneOfThisCheckout>>;
let served: string;
beforeAll(async () => {
  clone = await cloneOfThisCheckout();
  served = clone.root;
});
afterAll(() => clone?.remove());
const OLD = `sha256:${'a'.repeat(64)}`;
const LIVE = `sha256:${'b'.repeat(64)}`;
// The checkout's own slipway.yml stands for the default branch's.
const POLICY = projectPolicy({ people: { bob: { dashboard: 'bob' } } }, ROOT);
const CONFIG = { composeFile: 'apps/web/compose.yml', compose: 'services: {}\n', env: {}, secrets: {} };

describe('rollback from the dashboard', () => {
  let dir: string;
  let store: Store;
  // The served checkout, with serve's checkouts beside the store (used only for apps registered in slipway.yml).
  const at = {
    get root() {
      return served;
    },
    inventoriesRoot: 'inventories/sandbox',
    policy: POLICY,
    get checkouts() {
      return checkoutsBeside(join(dir, 'state.db'));
    },
  };
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'slipway-dash-rollback-'));
    store = new Store(join(dir, 'state.db'));
  });
  afterEach(async () => {
    store.close();
    await rm(dir, { recursive: true, force: true });
  });

  const record = (releaseId: string, digest: string, config: typeof CONFIG | null = CONFIG) =>
    store.releases.record({
      environment: 'dev',
      host: 'dev1',
      app: 'web',
      releaseId,
      digest,
      configHash: 'h',
      ...(config ? { config } : {}),
    });

  it('queues the deploy job alone as a rollback to the previous release, triggered by the signed-in login', async () => {
    const r1 = record('r1', OLD);
    record('r2', LIVE);
    const result = await dashboardRollback(store, { env: 'dev', app: 'web', login: 'bob' }, at);
    expect(result).toMatchObject({ ok: true, message: 'rollback of web in dev to r1 queued' });
    const runId = Number(result.ok && result.runId);
    const run = store.runs.get(runId)!;
    expect(run).toMatchObject({
      triggeredBy: 'bob',
      triggerIdentity: 'dashboard:bob',
      channel: 'dashboard',
      pipeline: 'web',
    });
    expect(store.detail(runId)!.jobs.map((j) => j.name)).toEqual(['deploy-dev']);
    expect(run.rollback).toEqual({ ledgerId: r1, releaseId: 'r1', digest: OLD });
    expect(store.runs.outputs(runId)).toEqual({});
    expect(store.detail(runId)!.jobs[0]!.needs).toEqual([]);
    expect(store.locks.all().map((l) => [l.environment, l.runId])).toEqual([['dev', runId]]);
  });

  it('refuses with the reason, and queues nothing, when there is no earlier release', async () => {
    const result = await dashboardRollback(store, { env: 'dev', app: 'web', login: 'bob' }, at);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toBe(
      'nothing to roll back: no release of web was ever recorded in dev',
    );
    expect(store.runs.list({}).length).toBe(0);
  });

  it('refuses a release recorded without its compose file and configuration: it cannot be restored exactly', async () => {
    record('r1', OLD, null);
    record('r2', LIVE);
    const result = await dashboardRollback(store, { env: 'dev', app: 'web', login: 'bob' }, at);
    expect(!result.ok && result.reason).toMatch(
      /release r1 of web was recorded before .* cannot be restored exactly/,
    );
    expect(store.runs.list({}).length).toBe(0);
  });

  it('queues a redeploy of the live release, marked as one', async () => {
    record('r1', OLD);
    const live = record('r2', LIVE);
    const result = await dashboardRollback(store, { env: 'dev', app: 'web', login: 'bob' }, at, {
      redeploy: true,
    });
    expect(result).toMatchObject({ ok: true, message: 'redeploy of web in dev (r2) queued' });
    const run = store.runs.get(Number(result.ok && result.runId))!;
    expect(run.rollback).toEqual({ ledgerId: live, releaseId: 'r2', digest: LIVE, kind: 'redeploy' });
  });

  it("queues a run of the pipeline's jobs in the environment and the jobs they need", async () => {
    const result = await dashboardRun(store, { env: 'dev', pipeline: 'web', login: 'bob' }, at);
    expect(result).toMatchObject({ ok: true, message: 'run of web in dev queued' });
    const runId = Number(result.ok && result.runId);
    expect(store.runs.get(runId)).toMatchObject({
      triggeredBy: 'bob',
      triggerIdentity: 'dashboard:bob',
      channel: 'dashboard',
    });
    expect(
      store
        .detail(runId)!
        .jobs.map((j) => j.name)
        .sort(),
    ).toEqual(['build', 'deploy-dev', 'push']);
  });

  it('refuses a login that is no person, an unknown pipeline, and one with no job there; queues nothing', async () => {
    const ghost = await dashboardRun(store, { env: 'dev', pipeline: 'web', login: 'ghost' }, at);
    expect(!ghost.ok && ghost.reason).toMatch(
      /^dashboard:ghost is not mapped to a person \(add it under people in slipway.yml/,
    );
    const unknown = await dashboardRun(store, { env: 'dev', pipeline: 'nope', login: 'bob' }, at);
    expect(unknown).toEqual({ ok: false, reason: 'no pipeline nope' });
    const elsewhere = await dashboardRun(store, { env: 'qa', pipeline: 'web', login: 'bob' }, at);
    expect(elsewhere).toEqual({ ok: false, reason: 'pipeline web has no job in qa' });
    expect(store.runs.list({})).toEqual([]);
  });

  it('refuses every start while the served checkout holds edits its HEAD does not: the run would not be the commit', async () => {
    record('r1', OLD);
    record('r2', LIVE);
    const app = join(served, 'pipelines/app.yml');
    await writeFile(app, '# edited in place\n', { flag: 'a' });
    try {
      const run = await dashboardRun(store, { env: 'dev', pipeline: 'web', login: 'bob' }, at);
      const rollback = await dashboardRollback(store, { env: 'dev', app: 'web', login: 'bob' }, at);
      for (const refused of [run, rollback]) {
        expect(!refused.ok && refused.reason).toContain(
          `the served checkout ${served}: the working tree differs from HEAD`,
        );
        expect(!refused.ok && refused.reason).toContain('pipelines/app.yml');
      }
      expect(store.runs.list({})).toEqual([]);
    } finally {
      await execa('git', ['-C', served, 'checkout', '--', 'pipelines/app.yml']);
    }
  });
});
