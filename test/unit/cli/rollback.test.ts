import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dashboardRollback } from '../../../src/cli/dashboard-actions.ts';
import { ExitCode } from '../../../src/cli/exit-codes.ts';
import { Store } from '../../../src/store/store.ts';
import { checkoutsBeside } from '../../../src/triggers/checkout.ts';
import { cloneOfThisCheckout } from '../../support/checkout-clone.ts';
import { projectPolicy } from '../../support/policy.ts';

const run = promisify(execFile);
const REPO = resolve(import.meta.dirname, '../../..');
const SLIPWAY = join(REPO, 'bin', 'slipway');
const CONFIG = { composeFile: 'apps/web/compose.yml', compose: 'services: {}\n', env: {}, secrets: {} };

describe('slipway rollback, runs and show', () => {
  let dir: string;
  let state: string;
  const slipway = async (...args: string[]) => {
    const env = { ...process.env, SLIPWAY_STATE: state };
    const all = ['--repo', REPO, '--inventories', join(REPO, 'inventories', 'sandbox'), ...args];
    try {
      const { stdout, stderr } = await run(SLIPWAY, all, { timeout: 30_000, env });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'slipway-cli-rollback-'));
    state = join(dir, 'state.db');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('says there is nothing to roll back, with the "failed" exit code, when no earlier release exists', async () => {
    const r = await slipway('rollback', 'dev', '--detach');
    expect(r.stderr).toBe('slipway: rollback: nothing to roll back: no release was ever recorded in dev\n');
    expect(r.code).toBe(ExitCode.Failed);
  });

  it('marks a rollback run as one in `runs` and `show`', async () => {
    const store = new Store(state);
    try {
      for (const [releaseId, digest] of [
        ['20261201-100000-aaaaaaa', `sha256:${'a'.repeat(64)}`],
        ['20261202-100000-bbbbbbb', `sha256:${'b'.repeat(64)}`],
      ] as const) {
        store.releases.record({
          environment: 'dev',
          host: 'dev1',
          app: 'web',
          releaseId,
          digest,
          configHash: 'h',
          config: CONFIG,
        });
      }
      const served = await cloneOfThisCheckout();
      const queued = await dashboardRollback(
        store,
        { env: 'dev', app: 'web', login: 'bob' },
        {
          root: served.root,
          inventoriesRoot: 'inventories/sandbox',
          policy: projectPolicy({ people: { bob: { dashboard: 'bob' } } }, REPO),
          checkouts: checkoutsBeside(state),
        },
      );
      await served.remove();
      expect(queued.ok).toBe(true);
    } finally {
      store.close();
    }
    const runs = await slipway('runs');
    expect(runs.stdout).toMatch(/^\s+1 .* web .*rollback to release 20261201-100000-aaaaaaa/m);
    const show = await slipway('show', '1');
    expect(show.stdout).toMatch(/^run 1 web rollback to release 20261201-100000-aaaaaaa @ /m);
  });
});
