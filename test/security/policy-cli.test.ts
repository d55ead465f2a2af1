// Policy and identity through the CLI: a real Git repository, the real `slipway` binary and its store.
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
const UID = process.getuid!();

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const slipway = (...args: string[]) => slipwayIn(dir!, ...args);

function git(...args: string[]) {
  execFileSync('git', ['-c', 'user.name=Mallory', '-c', 'user.email=mallory@example.com', ...args], {
    cwd: dir,
    stdio: 'pipe',
  });
}

describe('CLI: policy from the default branch, self-approval by the operator', () => {
  it("a feature branch's own self-approval and people mapping do not count; the operator may not approve their run", () => {
    dir = tempOpsRepo({
      'slipway.yml': `people: { alice: { os: [${ME}] } }\n`,
      'pipelines/gated.yml': gatedPipeline('{ approvers: [alice, bob] }'),
    });
    // The branch lets its author approve and maps the operator account to a person of its own.
    git('checkout', '-q', '-b', 'feature');
    writeFileSync(join(dir, 'slipway.yml'), `people: { alice: { os: [${ME}] }, bob: { os: [${ME}x] } }\n`);
    writeFileSync(
      join(dir, 'pipelines/gated.yml'),
      gatedPipeline('{ approvers: [alice], allow_self_approval: true }'),
    );
    git('commit', '-q', '-am', 'approve my own');

    expect(slipway('run', 'gated', '--detach').status).toBe(3);
    const refused = slipway('approve', '1');
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain(
      `refused: alice started this run (os:${ME}); self-approval is not allowed`,
    );

    const store = new Store(join(dir, '.slipway', 'state.db'));
    try {
      const [gate] = store.gates.ofRun(1);
      expect(gate!.policy).toMatchObject({ approvers: ['alice', 'bob'], allowSelfApproval: false });
      expect(store.runs.get(1)).toMatchObject({ triggerIdentity: `os:${ME}`, branch: 'feature' });
      // The audit names the person, the OS account and its uid.
      expect(store.gates.auditTrail(1).map((a) => [a.actor, a.channel, a.outcome])).toEqual([
        [`alice (os:${ME}, uid ${UID})`, 'cli', 'refused'],
      ]);
    } finally {
      store.close();
    }
  }, 120_000);

  it('says where policy comes from when the repository has no default branch, and takes --policy-ref', () => {
    dir = tempOpsRepo({
      'slipway.yml': `people: { alice: { os: [${ME}] } }\n`,
      'pipelines/gated.yml': gatedPipeline('{ approvers: [alice], allow_self_approval: true }'),
    });
    git('branch', '-q', '-m', 'main', 'trunk');
    const none = slipway('run', 'gated', '--detach');
    expect(none.status).toBe(2);
    expect(none.stderr).toContain('none of origin/HEAD, main, master exists');
    expect(none.stderr).toContain('pass --policy-ref REF or set SLIPWAY_POLICY_REF');
    expect(slipway('--policy-ref', 'trunk', 'run', 'gated', '--detach').status).toBe(3);
  }, 120_000);

  it("makes dashboard sign-ins only for a person's dashboard login on the default branch", () => {
    dir = tempOpsRepo({ 'slipway.yml': 'people: { alice: { github: alice-gh, dashboard: alice } }\n' });
    // The working tree (uncommitted) maps mallory: it does not count.
    writeFileSync(join(dir, 'slipway.yml'), 'people: { mallory: { dashboard: mallory } }\n');
    const refused = slipway('user', 'add', 'mallory');
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain(
      "mallory is no person's dashboard login in slipway.yml on refs/heads/main",
    );
    // A forge login of a person is not a dashboard login.
    expect(slipway('user', 'add', 'alice-gh').status).toBe(1);
    const added = slipway('user', 'add', 'alice');
    expect(added.status).toBe(0);
    expect(added.stdout).toMatch(/^slw_/);
    expect(added.stderr).toContain('Token for alice (alice) shown once');
  }, 60_000);
});
