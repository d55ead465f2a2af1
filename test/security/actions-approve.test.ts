// actions/approve as a workflow runs it (the committed bundle, INPUT_* variables, a real Git checkout and a
// real state store): the decision is the workflow actor's only when they triggered the run, and it binds the
// plan the approver was shown.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Store, storePath } from '../../src/store/store.ts';
import { ACTION_OPS_FILES, checkout, DEPLOY_TOKEN, runAction } from '../support/action-runner.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-approve-'));
  await checkout(dir, ACTION_OPS_FILES);
  const run = await runAction(
    dir,
    'run',
    { pipeline: 'pipelines/app.yml', repo: 'repo' },
    { DEPLOY_TOKEN, GITHUB_ACTOR: 'alice', GITHUB_TRIGGERING_ACTOR: 'alice' },
  );
  expect(run.outputs.status).toBe('waiting');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Reads the store the actions wrote. */
function inStore<T>(read: (store: Store) => T): T {
  const store = new Store(storePath(join(dir, 'repo'), {}));
  try {
    return read(store);
  } finally {
    store.close();
  }
}
const gate = () => inStore((s) => s.gates.latest(1, 'deploy')!);
const approve = (env: Record<string, string>, inputs: Record<string, string> = {}) =>
  runAction(dir, 'approve', { 'run-id': '1', repo: 'repo', ...inputs }, env);

describe('actions/approve', () => {
  it('refuses a re-run by someone else, which keeps the original GITHUB_ACTOR', async () => {
    const rerun = await approve({ GITHUB_ACTOR: 'bob', GITHUB_TRIGGERING_ACTOR: 'mallory' });
    expect(rerun.exitCode).toBe(1);
    expect(rerun.stdout).toContain('::error::this run was triggered by mallory on behalf of bob (a re-run)');
    // GitHub always names the triggering actor: a runner that does not is not vouched for.
    const unnamed = await approve({ GITHUB_ACTOR: 'bob' });
    expect(unnamed.exitCode).toBe(1);
    expect(unnamed.stdout).toContain('GITHUB_TRIGGERING_ACTOR is not set');
    expect(gate().status).toBe('pending');
    expect(inStore((s) => s.gates.auditTrail(1)).filter((a) => a.action === 'approve')).toEqual([]);
  });

  it('refuses and audits a decision on another plan than the one given, accepts the gate’s own', async () => {
    const other = '0'.repeat(64);
    const stale = await approve(
      { GITHUB_ACTOR: 'bob', GITHUB_TRIGGERING_ACTOR: 'bob' },
      { 'plan-hash': other },
    );
    expect(stale.exitCode).toBe(1);
    expect(stale.outputs).toEqual({ accepted: 'false', 'gate-status': 'pending' });
    expect(stale.stdout).toContain(`::error::not counted: expected plan ${other}, but the gate holds plan`);
    expect(inStore((s) => s.gates.auditTrail(1)).at(-1)).toMatchObject({
      actor: 'bob (github:bob)',
      action: 'approve',
      outcome: 'refused',
      reason: expect.stringContaining(`expected plan ${other}`),
    });
    expect(gate().status).toBe('pending');

    const bound = await approve(
      { GITHUB_ACTOR: 'bob', GITHUB_TRIGGERING_ACTOR: 'bob' },
      { 'plan-hash': gate().planHash },
    );
    expect(bound.exitCode).toBe(0);
    // The gate opened, so the action continued the run in its job.
    expect(bound.outputs).toEqual({
      accepted: 'true',
      'gate-status': 'approved',
      status: 'succeeded',
      'image-digest': '',
    });
  });
});
