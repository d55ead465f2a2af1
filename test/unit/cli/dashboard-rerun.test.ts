import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { trustedPolicyOf } from '../../../src/approvals/trusted-policy.ts';
import { dashboardRerun } from '../../../src/cli/dashboard-rerun.ts';
import { loadRepo } from '../../../src/config/load-repo.ts';
import { createRun } from '../../../src/engine/create-run.ts';
import { Store } from '../../../src/store/store.ts';
import { staticPolicy } from '../../support/engine-fixture.ts';

const SHA = 'c'.repeat(40);
const FILES: Record<string, string> = {
  'slipway.yml': 'people: { bob: { dashboard: bob } }\n',
  'pipelines/app.yml': [
    'name: app',
    'jobs:',
    '  build: { steps: [ { run: { command: ["true"] } } ] }',
    '  ship: { needs: [build], steps: [ { run: { command: ["false"] } } ] }',
    '',
  ].join('\n'),
};

describe('re-run from the dashboard', () => {
  let dir: string;
  let tree: string;
  let store: Store;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'slipway-dash-rerun-'));
    // The tree `serve` wrote for the commit: named for it, no .git.
    tree = join(dir, 'work', SHA);
    for (const [path, text] of Object.entries(FILES)) {
      mkdirSync(join(tree, path, '..'), { recursive: true });
      writeFileSync(join(tree, path), text);
    }
    store = new Store(join(dir, 'state.db'));
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The policy in force (slipway.yml from `tree`) and a run of the tree's pipeline that failed at `ship`. */
  async function failedRun() {
    const loaded = await loadRepo(tree);
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    const policy = trustedPolicyOf(loaded.repo, 'refs/heads/main', 'f'.repeat(40));
    const runId = createRun(store, {
      repo: loaded.repo,
      pipeline: loaded.repo.pipelines[0]!,
      commit: { sha: SHA, branch: 'main' },
      triggeredBy: 'alice-gh',
      triggerIdentity: { channel: 'github', login: 'alice-gh' },
      channel: 'forge',
      policy,
    });
    store.runs.setJobStatus(runId, 'build', 'succeeded');
    store.runs.setJobStatus(runId, 'ship', 'failed', 'false exited with code 1');
    store.runs.setStatus(runId, 'failed', 'ship: false exited with code 1');
    return { runId, source: staticPolicy(policy) };
  }

  it("queues a re-run of the failed job from the commit's tree serve wrote, triggered by the signed-in person", async () => {
    const { runId, source } = await failedRun();
    const result = await dashboardRerun(store, { runId: String(runId), login: 'bob' }, source);
    expect(result).toEqual({
      ok: true,
      runId: String(runId + 1),
      message: `re-run of run ${runId} (ship) queued`,
    });
    expect(store.runs.get(runId + 1)).toMatchObject({
      rerunOf: runId,
      sha: SHA,
      repoRoot: tree,
      triggeredBy: 'bob',
      triggerIdentity: 'dashboard:bob',
      channel: 'dashboard',
      status: 'queued',
    });
  });

  it('refuses a login that is no person, a run that is not a number, and a tree that is gone', async () => {
    const { runId, source } = await failedRun();
    expect(await dashboardRerun(store, { runId: String(runId), login: 'mallory' }, source)).toEqual({
      ok: false,
      reason:
        'dashboard:mallory is not mapped to a person (add it under people in slipway.yml on the default branch): ' +
        'only people start runs',
    });
    expect(await dashboardRerun(store, { runId: '1 OR 1', login: 'bob' }, source)).toEqual({
      ok: false,
      reason: 'there is no run 1 OR 1',
    });
    rmSync(tree, { recursive: true, force: true });
    expect(await dashboardRerun(store, { runId: String(runId), login: 'bob' }, source)).toEqual({
      ok: false,
      reason: `the checkout run ${runId} executed in (${tree}) is gone: push its commit again to run it anew`,
    });
    expect(store.runs.list({}).map((r) => r.id)).toEqual([runId]);
  });
});
