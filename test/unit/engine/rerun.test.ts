import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Actor } from '../../../src/approvals/policy.ts';
import { submitDecision } from '../../../src/approvals/service.ts';
import type { PipelineFile } from '../../../src/config/types.ts';
import { createRun } from '../../../src/engine/create-run.ts';
import { createRerun, failedRun, RerunRefused, rerunJobs } from '../../../src/engine/rerun.ts';
import type { JobRecord } from '../../../src/store/types.ts';
import {
  type EngineFixture,
  engineFixture,
  execute,
  fixturePolicy,
  pipelineFile,
  staticPolicy,
} from '../../support/engine-fixture.ts';

const SHA = 'a'.repeat(40);
const DIGEST = `sha256:${'d'.repeat(64)}`;
const cli = (login: string): Actor => ({ identity: { channel: 'os', login }, channel: 'cli' });

let fx: EngineFixture;
beforeEach(() => {
  fx = engineFixture({
    environments: { prod: { branches: ['main'] } },
    people: Object.fromEntries(['alice', 'bob', 'carol'].map((p) => [p, { os: [p] }])),
  });
});
afterEach(() => fx.cleanup());

/** build -> prod (gated by bob or carol, once `ready` exists in the repository) -> smoke. */
function app(prodCommand = ['test', '-f', 'ready'], approvers = ['bob', 'carol']): PipelineFile {
  return pipelineFile(fx, {
    name: 'app',
    jobs: {
      build: { steps: [{ run: { command: ['touch', 'built'] } }] },
      prod: {
        needs: ['build'],
        environment: 'prod',
        approval: { approvers },
        steps: [{ run: { command: prodCommand } }],
      },
      smoke: { needs: ['prod'], steps: [{ run: { command: ['touch', 'smoked'] } }] },
    },
  });
}

const start = (file: PipelineFile, by = 'alice') =>
  createRun(fx.store, {
    repo: fx.repo,
    pipeline: file,
    commit: { sha: SHA, branch: 'main' },
    triggeredBy: by,
    triggerIdentity: { channel: 'os', login: by },
    channel: 'cli',
    policy: fixturePolicy(fx, file),
  });

const rerun = (runId: number, file: PipelineFile, by = 'alice', checkoutSha = SHA) =>
  createRerun(fx.store, {
    runId,
    repo: { ...fx.repo, pipelines: [file] },
    checkoutSha,
    triggeredBy: by,
    triggerIdentity: { channel: 'os', login: by },
    channel: 'cli',
    policy: fixturePolicy(fx, file),
  });

const decide = (runId: number, login: string) =>
  submitDecision(fx.store, {
    runId,
    actor: cli(login),
    decision: 'approve',
    policy: staticPolicy(fixturePolicy(fx)),
  });

/** A run of `file` approved by bob whose prod job fails (no `ready` file yet). */
async function failedAtProd(file: PipelineFile): Promise<number> {
  const id = start(file);
  expect(await execute(fx, id, file, { detach: true })).toBe('waiting');
  fx.store.runs.setOutput(id, 'image.digest', DIGEST);
  expect(await decide(id, 'bob')).toMatchObject({ accepted: true, opens: true });
  expect(await execute(fx, id, file)).toBe('failed');
  return id;
}

describe('rerunJobs', () => {
  const job = (name: string, status: JobRecord['status'], needs: string[] = []) =>
    ({ name, status, needs }) as JobRecord;

  it('takes the failed jobs and every job that needs one of them, in pipeline order', () => {
    expect(
      rerunJobs([
        job('build', 'succeeded'),
        job('dev', 'failed', ['build']),
        job('lint', 'succeeded', ['build']),
        job('prod', 'skipped', ['dev']),
        job('smoke', 'skipped', ['prod', 'lint']),
        job('docs', 'skipped', ['lint']),
      ]),
    ).toEqual(['dev', 'prod', 'smoke']);
  });
});

describe('re-run of failed jobs', () => {
  it('executes only the failed job and its dependents, from the recorded digest, with the approval carried over', async () => {
    const file = app();
    const id = await failedAtProd(file);
    writeFileSync(join(fx.dir, 'ready'), '');

    const { runId, jobs } = rerun(id, file, 'carol');
    expect(jobs).toEqual(['prod', 'smoke']);
    const created = fx.store.detail(runId)!;
    expect(created.run).toMatchObject({ rerunOf: id, sha: SHA, branch: 'main', triggeredBy: 'carol' });
    expect(created.jobs.map((j) => [j.name, j.needs])).toEqual([
      ['prod', []],
      ['smoke', ['prod']],
    ]);
    expect(created.outputs).toEqual({ 'image.digest': DIGEST });
    expect(fx.store.events.after(runId, 0, 1)[0]!.text).toBe(`re-run of run ${id} at ${SHA}: prod, smoke`);

    expect(await execute(fx, runId, file)).toBe('succeeded');
    expect(existsSync(join(fx.dir, 'smoked'))).toBe(true);
    const [gate] = fx.store.gates.ofRun(runId);
    const original = fx.store.gates.ofRun(id)[0]!;
    expect(gate).toMatchObject({
      status: 'approved',
      sha: SHA,
      planHash: original.planHash,
      carriedFrom: { gateId: original.id, runId: id },
    });
    expect(gate!.approvals.map((a) => [a.login, a.channel, a.at])).toEqual([
      ['bob', 'cli', original.approvals[0]!.at],
    ]);
    const [audit] = fx.store.gates.auditTrail(runId);
    expect(audit).toMatchObject({
      actor: 'slipway',
      channel: 'system',
      action: 'carry-over',
      outcome: 'recorded',
    });
    expect(audit!.reason).toMatch(
      new RegExp(
        `^approval carried over from run ${id} \\(gate ${original.id}\\): approved by bob via cli at \\S+; ` +
          `same commit a{12} and plan ${original.planHash.slice(0, 12)}, approvers still under the policy in force$`,
      ),
    );
    // The failed run keeps its own record: it failed, and says nothing of what came after.
    expect(fx.store.runs.get(id)!.status).toBe('failed');
  });

  it('opens the gate again when the plan changed, saying why; neither who asked nor who started may approve', async () => {
    const id = await failedAtProd(app());
    const changed = app(['touch', 'ready'], ['alice', 'bob', 'carol']);
    const { runId } = rerun(id, changed, 'carol');
    expect(await execute(fx, runId, changed, { detach: true })).toBe('waiting');
    const [gate] = fx.store.gates.ofRun(runId);
    expect(gate).toMatchObject({ status: 'pending', approvals: [] });
    expect(gate!.carriedFrom).toBeUndefined();
    expect(fx.store.gates.auditTrail(runId)[0]).toMatchObject({
      action: 'carry-over',
      outcome: 'refused',
      gateId: gate!.id,
      reason: expect.stringMatching(
        new RegExp(
          `^not carried over: the plan changed since run ${id}'s approval .*; the gate opens again$`,
        ),
      ),
    });
    expect(await decide(runId, 'carol')).toMatchObject({
      accepted: false,
      reason: 'carol started this run (os:carol); self-approval is not allowed',
    });
    expect(await decide(runId, 'alice')).toMatchObject({
      accepted: false,
      reason: 'alice started the run this one re-runs (os:alice); self-approval is not allowed',
    });
    expect(await decide(runId, 'bob')).toMatchObject({ accepted: true, opens: true });
    expect(await execute(fx, runId, changed)).toBe('succeeded');
  });

  it('opens the gate again when the approver is no longer one under the policy in force', async () => {
    const file = app();
    const id = await failedAtProd(file);
    writeFileSync(join(fx.dir, 'ready'), '');
    // The default branch now lets only carol approve prod.
    const { runId } = rerun(id, app(undefined, ['carol']));
    expect(await execute(fx, runId, app(undefined, ['carol']), { detach: true })).toBe('waiting');
    expect(fx.store.gates.auditTrail(runId)[0]!.reason).toBe(
      'not carried over: 0 of the 1 approvals the policy in force requires still count ' +
        '(bob no longer among the approvers); the gate opens again',
    );
  });

  it('opens the gate again when the checked-out commit differs from the approved one', async () => {
    const file = app();
    const id = await failedAtProd(file);
    const { runId } = rerun(id, file);
    const moved = async () => 'b'.repeat(40);
    expect(await execute(fx, runId, file, { detach: true, checkoutSha: moved })).toBe('waiting');
    expect(fx.store.gates.auditTrail(runId)[0]!.reason).toBe(
      `not carried over: run ${id} was approved for commit aaaaaaaaaaaa, this re-run is at bbbbbbbbbbbb; the gate opens again`,
    );
  });

  it('carries over along a chain of re-runs from the nearest run that reached the gate', async () => {
    const file = app();
    const id = await failedAtProd(file);
    // The default branch let main into prod when the re-run was queued, and took that back before its job.
    const second = rerun(id, file).runId;
    const prod = fx.repo.project.environments.prod!;
    prod.branches = ['release'];
    expect(await execute(fx, second, file)).toBe('failed');
    expect(fx.store.gates.ofRun(second)).toEqual([]);
    prod.branches = ['main'];
    writeFileSync(join(fx.dir, 'ready'), '');
    const third = rerun(second, file).runId;
    expect(fx.store.runs.lineage(third).map((r) => r.id)).toEqual([third, second, id]);
    expect(fx.store.runs.outputs(third)).toEqual({ 'image.digest': DIGEST });
    expect(await execute(fx, third, file)).toBe('succeeded');
    expect(fx.store.gates.ofRun(third)[0]!.carriedFrom).toEqual({
      gateId: fx.store.gates.ofRun(id)[0]!.id,
      runId: id,
    });
  });

  it('refuses a run that did not fail, a checkout at another commit, and a branch the policy keeps out', async () => {
    const file = app(['true']);
    const id = start(file);
    await execute(fx, id, file, { detach: true });
    expect(() => failedRun(fx.store, id)).toThrow(
      new RerunRefused(
        `run ${id} waiting, it did not fail: only the failed jobs of a failed run are re-run ` +
          '(it waits at a gate: decide it (slipway approve/reject), then it goes on)',
      ),
    );
    await decide(id, 'bob');
    expect(await execute(fx, id, file)).toBe('succeeded');
    expect(() => rerun(id, file)).toThrow(`run ${id} succeeded, it did not fail`);
    expect(() => failedRun(fx.store, 999)).toThrow('there is no run 999');

    const failed = await failedAtProd(app());
    expect(() => rerun(failed, app(), 'alice', 'b'.repeat(40))).toThrow(
      `run ${failed} deployed commit aaaaaaaaaaaa (main), but the checkout at ${fx.dir} is at bbbbbbbbbbbb`,
    );
    fx.repo.project.environments.prod!.branches = ['release'];
    expect(() => rerun(failed, app())).toThrow(
      'branch main may not deploy to prod: slipway.yml on refs/heads/main (ffffffffffff) allows release',
    );
    expect(fx.store.runs.list({}).map((r) => r.id)).toEqual([failed, id]);
  });
});
