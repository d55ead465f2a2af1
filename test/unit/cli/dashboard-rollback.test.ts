import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dashboardRollback } from '../../../src/cli/dashboard-rollback.ts';
import { DIGEST_OVERRIDE } from '../../../src/steps/deploy.ts';
import { Store } from '../../../src/store/store.ts';
import { projectPolicy } from '../../support/policy.ts';

// The sample ops repository (this checkout) deploys app `web` to dev through its deploy-dev job.
const ROOT = resolve(import.meta.dirname, '../../..');
const OLD = `sha256:${'a'.repeat(64)}`;
const LIVE = `sha256:${'b'.repeat(64)}`;
// The checkout's own slipway.yml stands for the default branch's.
const POLICY = projectPolicy({ people: { bob: { dashboard: 'bob' } } }, ROOT);

describe('rollback from the dashboard', () => {
  let dir: string;
  let store: Store;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'slipway-dash-rollback-'));
    store = new Store(join(dir, 'state.db'));
  });
  afterEach(async () => {
    store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('queues the deploy job alone with the previous digest, triggered by the signed-in login', async () => {
    for (const [releaseId, digest] of [
      ['r1', OLD],
      ['r2', LIVE],
    ] as const) {
      store.releases.record({
        environment: 'dev',
        host: 'dev1',
        app: 'web',
        releaseId,
        digest,
        configHash: 'h',
      });
    }
    const result = await dashboardRollback(
      store,
      { env: 'dev', app: 'web', login: 'bob' },
      ROOT,
      'inventories/sandbox',
      POLICY,
    );
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
    expect(store.runs.outputs(runId)[DIGEST_OVERRIDE]).toBe(OLD);
  });

  it('refuses with the reason, and queues nothing, when there is no earlier release', async () => {
    const result = await dashboardRollback(
      store,
      { env: 'dev', app: 'web', login: 'bob' },
      ROOT,
      'inventories/sandbox',
      POLICY,
    );
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toBe('no releases of web recorded in dev');
    expect(store.runs.list({}).length).toBe(0);
  });
});
