// A commit on the default branch that weakens the policy takes effect only after an approval under the
// policy before it: a real Git repository, the real `slipway` binary and its store.
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/store.ts';
import { tempOpsRepo } from '../support/ops-repo.ts';
import { gatedPipeline } from '../support/policy.ts';
import { slipwayIn } from '../support/slipway-cli.ts';

const ME = userInfo().username;

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const slipway = (...args: string[]) => slipwayIn(dir!, ...args);

/** Commits `files` on main as `author` (free text, as any committer can write it). */
function commitOnMain(author: string, files: Record<string, string>) {
  for (const [path, text] of Object.entries(files)) writeFileSync(join(dir!, path), text);
  execFileSync(
    'git',
    ['-c', `user.name=${author}`, '-c', `user.email=${author}@example.com`, 'commit', '-qam', 'policy'],
    { cwd: dir, stdio: 'pipe' },
  );
}

// The operator's OS account is bob's; mallory is a person with a forge login only.
const PEOPLE = `people: { bob: { os: [${ME}] }, mallory: { github: mallory-gh } }\n`;

function withStore<T>(fn: (store: Store) => T): T {
  const store = new Store(join(dir!, '.slipway', 'state.db'));
  try {
    return fn(store);
  } finally {
    store.close();
  }
}

describe('a weakening commit on the default branch', () => {
  it('keeps the policy before it in force until approved under that policy, showing the policy diff', () => {
    dir = tempOpsRepo({
      'slipway.yml': PEOPLE,
      'pipelines/gated.yml': gatedPipeline('{ approvers: [bob] }'),
    });
    expect(slipway('run', 'gated', '--detach').status).toBe(3); // run 1: first use puts main's policy in force
    commitOnMain('Mallory', { 'pipelines/gated.yml': gatedPipeline('{ approvers: [bob, mallory] }') });

    expect(slipway('run', 'gated', '--detach').status).toBe(3);
    withStore((store) => {
      const proposal = store.runs.list({ kind: 'policy' })[0]!;
      expect(proposal).toMatchObject({
        id: 2,
        status: 'waiting',
        pipeline: 'policy change',
        authorName: 'Mallory',
      });
      // The new run is gated by the policy in force, not by the commit on main.
      expect(store.gates.ofRun(3)[0]!.policy.approvers).toEqual(['bob']);
      expect(store.gates.ofRun(2)[0]!.policy).toMatchObject({ approvers: ['bob'], required: 1 });
    });
    const shown = slipway('show', '2');
    expect(shown.stdout).toContain('pipelines/gated.yml job ship: approvers +mallory');
    expect(shown.stdout).toContain('weakens the policy in force');
    expect(slipway('resume', '2').stderr).toContain('run 2 is a change of policy: it is decided at its gate');

    expect(slipway('approve', '2').status).toBe(0);
    expect(slipway('run', 'gated', '--detach').status).toBe(3);
    withStore((store) => {
      expect(store.runs.get(2)).toMatchObject({ status: 'succeeded' });
      expect(store.gates.ofRun(4)[0]!.policy.approvers).toEqual(['bob', 'mallory']);
      expect(store.policies.history().map((p) => p.how)).toEqual([
        'first use: no policy was in force',
        'approved at the gate of run 2: approved by bob (1 of 1)',
      ]);
    });
  }, 120_000);

  it("refuses the proposer's own approval, and a rejection keeps the policy before it", () => {
    dir = tempOpsRepo({
      'slipway.yml': PEOPLE,
      'pipelines/gated.yml': gatedPipeline('{ approvers: [bob] }'),
    });
    expect(slipway('run', 'gated', '--detach').status).toBe(3);
    // bob writes a commit letting himself approve his own runs.
    commitOnMain('bob', {
      'pipelines/gated.yml': gatedPipeline('{ approvers: [bob], allow_self_approval: true }'),
    });
    expect(slipway('approvals').stdout).toContain('self-approval allowed');
    const own = slipway('approve', '2');
    expect(own.status).toBe(1);
    expect(own.stderr).toContain('bob is the author of commit');

    expect(slipway('reject', '2', '--reason', 'not this way').status).toBe(0);
    expect(slipway('run', 'gated', '--detach').status).toBe(3);
    withStore((store) => {
      expect(store.runs.get(2)).toMatchObject({ status: 'rejected' });
      expect(store.gates.ofRun(3)[0]!.policy.allowSelfApproval).toBe(false);
      expect(store.policies.history()).toHaveLength(1);
    });
  }, 120_000);

  it('takes a change that weakens nothing at once, and a later weakening supersedes a pending one', () => {
    dir = tempOpsRepo({
      'slipway.yml': PEOPLE,
      'pipelines/gated.yml': gatedPipeline('{ approvers: [bob, mallory] }'),
    });
    expect(slipway('run', 'gated', '--detach').status).toBe(3);
    commitOnMain('Mallory', { 'pipelines/gated.yml': gatedPipeline('{ approvers: [bob] }') });
    expect(slipway('run', 'gated', '--detach').status).toBe(3);
    commitOnMain('Mallory', { 'pipelines/gated.yml': gatedPipeline('{ approvers: [bob, mallory] }') });
    expect(slipway('approvals').status).toBe(0); // proposes run 3
    commitOnMain('Mallory', {
      'pipelines/gated.yml': gatedPipeline('{ approvers: [bob, mallory], required: 1, wait: 0s }'),
    });
    expect(slipway('run', 'gated', '--detach').status).toBe(3);
    withStore((store) => {
      expect(store.policies.history().map((p) => p.how)).toEqual([
        'first use: no policy was in force',
        'weakens nothing (pipelines/gated.yml job ship: approvers -mallory)',
      ]);
      expect(store.runs.get(3)).toMatchObject({ kind: 'policy', status: 'canceled' });
      expect(store.runs.get(3)!.reason).toMatch(/^superseded by the policy at [0-9a-f]{12}$/);
      expect(store.runs.get(4)).toMatchObject({ kind: 'policy', status: 'waiting' });
      expect(store.gates.ofRun(5)[0]!.policy.approvers).toEqual(['bob']);
    });
  }, 120_000);
});
