import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Actor } from '../../../src/approvals/policy.ts';
import { submitDecision } from '../../../src/approvals/service.ts';
import { expireUnwatchedGates } from '../../../src/engine/recovery.ts';
import {
  type EngineFixture,
  engineFixture,
  execute,
  fixturePolicy,
  pipelineFile,
  startRun,
  staticPolicy,
} from '../../support/engine-fixture.ts';

const cli = (login: string): Actor => ({ identity: { channel: 'os', login }, channel: 'cli' });
/** Each person signs in on the CLI with an OS account of their own name (mallory is nobody's). */
const people = Object.fromEntries(
  ['alice', 'bob', 'carol', 'dave'].map((p) => [p, { os: [p], dashboard: p }]),
);

let fx: EngineFixture;
beforeEach(() => {
  fx = engineFixture({
    environments: { prod: { branches: ['main'] }, dev: {} },
    teams: { '@acme/ops': ['carol', 'dave'] },
    people,
  });
});
afterEach(() => fx.cleanup());

function gated(approval: Record<string, unknown>, command = ['touch', 'deployed']) {
  return pipelineFile(fx, {
    name: 'app',
    jobs: {
      build: { steps: [{ run: { command: ['touch', 'built'] } }] },
      prod: {
        needs: ['build'],
        environment: 'prod',
        approval: { approvers: ['bob', '@acme/ops'], ...approval },
        steps: [{ run: { command } }],
      },
    },
  });
}

const decide = (runId: number, login: string, decision: 'approve' | 'reject' = 'approve', reason?: string) =>
  submitDecision(fx.store, {
    runId,
    actor: cli(login),
    decision,
    reason,
    policy: staticPolicy(fixturePolicy(fx)),
  });

describe('approval gates', () => {
  it('parks a detached run at the gate with the plan, and an approval lets a later process finish it', async () => {
    const file = gated({});
    const id = startRun(fx, file, { authorEmail: 'alice@example.com' });
    expect(await execute(fx, id, file, { detach: true })).toBe('waiting');
    expect(existsSync(join(fx.dir, 'built'))).toBe(true);
    expect(existsSync(join(fx.dir, 'deployed'))).toBe(false);
    const [gate] = fx.store.gates.pending();
    expect(gate!.job).toBe('prod');
    expect(gate!.plan).toEqual([
      {
        step: 0,
        kind: 'run',
        name: 'run',
        changes: [{ action: 'run', subject: 'touch deployed', detail: 'cwd: .' }],
      },
    ]);
    expect(fx.store.runs.get(id)!.owner).toBeUndefined();

    const verdict = await decide(id, 'bob');
    expect(verdict).toMatchObject({ accepted: true, opens: true, reason: 'approved by bob (1 of 1)' });
    expect(await execute(fx, id, file)).toBe('succeeded');
    expect(existsSync(join(fx.dir, 'deployed'))).toBe(true);
    expect(fx.store.locks.all()).toEqual([]);
  });

  it('a waiting (not detached) run continues as soon as the approval arrives from another channel', async () => {
    const file = gated({});
    const id = startRun(fx, file);
    const done = execute(fx, id, file);
    while (fx.store.gates.pending().length === 0) await new Promise((r) => setTimeout(r, 20));
    expect(fx.store.runs.get(id)!.status).toBe('running');
    await submitDecision(fx.store, {
      runId: id,
      actor: { identity: { channel: 'dashboard', login: 'carol' }, channel: 'dashboard' },
      decision: 'approve',
      policy: staticPolicy(fixturePolicy(fx)),
    });
    expect(await done).toBe('succeeded');
  });

  it('rejection with a reason ends the run as rejected and skips nothing else silently', async () => {
    const file = gated({});
    const id = startRun(fx, file);
    await execute(fx, id, file, { detach: true });
    expect(await decide(id, 'dave', 'reject')).toMatchObject({
      accepted: false,
      reason: 'a rejection needs a reason',
    });
    expect(await decide(id, 'dave', 'reject', 'freeze week')).toMatchObject({ accepted: true });
    expect(await execute(fx, id, file)).toBe('rejected');
    const detail = fx.store.detail(id)!;
    expect(detail.run.reason).toBe('prod: rejected by dave: freeze week');
    expect(existsSync(join(fx.dir, 'deployed'))).toBe(false);
    expect(fx.store.gates.auditTrail(id).map((a) => [a.actor, a.action, a.outcome, a.reason])).toEqual([
      ['dave (os:dave)', 'reject', 'refused', 'a rejection needs a reason'],
      ['dave (os:dave)', 'reject', 'accepted', 'freeze week'],
    ]);
  });

  it('expires a gate nobody decides within its timeout, in a waiting process', async () => {
    const file = gated({ timeout: '200ms' });
    const id = startRun(fx, file);
    expect(await execute(fx, id, file)).toBe('expired');
    expect(fx.store.runs.jobs(id)[1]!.status).toBe('expired');
    expect(fx.store.gates.auditTrail(id).map((a) => a.action)).toEqual(['expire']);
    expect(await decide(id, 'bob')).toMatchObject({
      accepted: false,
      reason: `run ${id} has no pending gate`,
    });
  });

  it('expires a parked gate when any process looks after its timeout', async () => {
    const file = gated({ timeout: '100ms' });
    const id = startRun(fx, file);
    expect(await execute(fx, id, file, { detach: true })).toBe('waiting');
    expect(expireUnwatchedGates(fx.store, Date.now() + 1_000)).toEqual([id]);
    expect(fx.store.runs.get(id)!.status).toBe('expired');
    expect(fx.store.locks.all()).toEqual([]);
  });

  it('refuses self-approval by the commit author, and approvers who are not listed', async () => {
    const file = gated({ approvers: ['alice', 'bob'] });
    const id = startRun(fx, file, { authorEmail: 'alice@example.com' });
    await execute(fx, id, file, { detach: true });
    const self = await decide(id, 'alice');
    expect(self).toMatchObject({ accepted: false });
    expect(self.reason).toMatch(/^alice is the author of commit a{12}; self-approval is not allowed$/);
    expect(await decide(id, 'mallory')).toMatchObject({
      accepted: false,
      reason:
        'os:mallory is not mapped to a person (add it under people in slipway.yml on the default branch)',
    });
    expect(fx.store.gates.pending()).toHaveLength(1);
    expect(fx.store.gates.auditTrail(id).map((a) => [a.actor, a.outcome])).toEqual([
      ['alice (os:alice)', 'refused'],
      ['os:mallory (unmapped)', 'refused'],
    ]);
  });

  it('allows self-approval when the policy says so', async () => {
    const file = gated({ approvers: ['alice'], allow_self_approval: true });
    const id = startRun(fx, file, { authorEmail: 'alice@example.com' });
    await execute(fx, id, file, { detach: true });
    expect(await decide(id, 'alice')).toMatchObject({ accepted: true, opens: true });
  });

  it('needs two distinct approvers when required is 2: the same person twice does not count', async () => {
    const file = gated({ required: 2 });
    const id = startRun(fx, file);
    await execute(fx, id, file, { detach: true });
    expect(await decide(id, 'bob')).toMatchObject({ accepted: true, opens: false });
    expect(await decide(id, 'bob')).toMatchObject({
      accepted: false,
      reason: 'bob already approved; 2 distinct approvers are needed',
    });
    expect(fx.store.gates.pending()).toHaveLength(1);
    expect(await execute(fx, id, file, { detach: true })).toBe('waiting');
    expect(await decide(id, 'carol')).toMatchObject({
      accepted: true,
      opens: true,
      reason: 'approved by carol (2 of 2)',
    });
    expect(await execute(fx, id, file)).toBe('succeeded');
  });

  it('voids an approval when the plan changed before the job starts, and opens the gate again', async () => {
    const file = gated({});
    const id = startRun(fx, file);
    await execute(fx, id, file, { detach: true });
    await decide(id, 'bob');
    // The ops repo changed between approval and start: the job would now do something else.
    const changed = gated({}, ['touch', 'something-else']);
    expect(await execute(fx, id, changed, { detach: true })).toBe('waiting');
    expect(existsSync(join(fx.dir, 'something-else'))).toBe(false);
    const gates = fx.store.gates.ofRun(id);
    expect(gates.map((g) => [g.round, g.status, g.reason])).toEqual([
      [1, 'void', 'the plan changed since the approval'],
      [2, 'pending', undefined],
    ]);
    expect(gates[1]!.plan[0]!.changes[0]!.subject).toBe('touch something-else');
    const audit = fx.store.gates.auditTrail(id);
    expect(audit.at(-1)).toMatchObject({ actor: 'slipway', action: 'void', outcome: 'recorded' });
    await decide(id, 'bob');
    expect(await execute(fx, id, changed)).toBe('succeeded');
    expect(existsSync(join(fx.dir, 'something-else'))).toBe(true);
  });

  it('voids an approval when the checked-out commit moved', async () => {
    const file = gated({});
    const id = startRun(fx, file);
    await execute(fx, id, file, { detach: true });
    await decide(id, 'bob');
    expect(await execute(fx, id, file, { detach: true, checkoutSha: async () => 'b'.repeat(40) })).toBe(
      'waiting',
    );
    expect(fx.store.gates.ofRun(id)[0]!.reason).toBe(
      'the commit changed since the approval (aaaaaaaaaaaa -> bbbbbbbbbbbb)',
    );
  });

  it('refuses a branch the environment does not allow at queue time, and again before the job', async () => {
    const file = gated({});
    const refusal =
      'branch feature/x may not deploy to prod: slipway.yml on refs/heads/main (ffffffffffff) allows main';
    expect(() => startRun(fx, file, { branch: 'feature/x' })).toThrow(refusal);
    // The default branch let it in when it was queued, and took that back before the job started.
    const prod = fx.repo.project.environments.prod!;
    prod.branches = ['*'];
    const id = startRun(fx, file, { branch: 'feature/x' });
    prod.branches = ['main'];
    expect(await execute(fx, id, file, { detach: true })).toBe('failed');
    expect(fx.store.runs.jobs(id)[1]!.reason).toBe(refusal);
    expect(fx.store.gates.ofRun(id)).toEqual([]);
    // `show` lists the steps the job never reached as skipped, with why, not as pending.
    const prodSteps = fx.store.runs.steps(id, fx.store.runs.jobs(id)[1]!.name);
    expect(prodSteps.map((s) => `${s.status} ${s.reason}`)).toEqual(
      prodSteps.map(
        () =>
          'skipped job failed: branch feature/x may not deploy to prod: slipway.yml on refs/heads/main (ffffffffffff) allows main',
      ),
    );
    expect(prodSteps.length).toBeGreaterThan(0);
  });

  it('holds a job at a mid-job approval step, showing the plan of the steps after it', async () => {
    const file = pipelineFile(fx, {
      name: 'mid',
      jobs: {
        j: {
          steps: [
            { run: { command: ['touch', 'first'] } },
            { approval: { approvers: ['bob'] } },
            { run: { command: ['touch', 'second'] } },
          ],
        },
      },
    });
    const id = startRun(fx, file);
    expect(await execute(fx, id, file, { detach: true })).toBe('waiting');
    const [gate] = fx.store.gates.pending();
    expect(gate!.step).toBe(1);
    expect(gate!.plan.map((p) => p.changes[0]?.subject)).toEqual(['touch second']);
    expect(existsSync(join(fx.dir, 'first'))).toBe(true);
    await decide(id, 'bob');
    expect(await execute(fx, id, file)).toBe('succeeded');
    expect(fx.store.runs.steps(id).map((s) => s.attempt)).toEqual([1, 1, 1]);
  });
});
