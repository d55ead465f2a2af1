import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PolicyTrees } from '../../../src/approvals/policy-source.ts';
import { ratifiedPolicySource } from '../../../src/approvals/ratified-policy.ts';
import type { TrustedPolicy } from '../../../src/approvals/trusted-policy.ts';
import { Store } from '../../../src/store/store.ts';
import { policyOf, RUN } from '../../support/trusted-policy.ts';

const gated = (approvers: string[]) => ({
  ship: { environment: 'prod', approval: { approvers }, steps: [RUN] },
});
const A = policyOf({}, gated(['alice']), 'a'.repeat(40));
const B = { ...policyOf({}, gated(['alice', 'carol']), 'b'.repeat(40)), author: { name: 'Carol' } };

/** Default-branch trees: `head` is the branch now; only the commits in `known` can be read. */
function trees(state: { head: TrustedPolicy; known: TrustedPolicy[] }): PolicyTrees {
  return {
    current: async () => state.head,
    at: async (_ref, sha) => {
      const p = state.known.find((k) => k.sha === sha);
      if (!p) throw new Error(`fatal: bad object ${sha}`);
      return p;
    },
  };
}

let dir: string;
let store: Store;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'slipway-ratified-'));
  store = new Store(join(dir, 'state.db'));
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the policy in force', () => {
  it('proposes a weakening head once, with its author and the diff as the plan, keeping the old one', async () => {
    const state = { head: A, known: [A, B] };
    const source = ratifiedPolicySource(() => store, trees(state));
    expect((await source.current()).sha).toBe(A.sha);
    state.head = B;
    expect((await source.current()).sha).toBe(A.sha);
    expect((await source.current()).sha).toBe(A.sha);
    const [proposal, ...more] = store.runs.list({ kind: 'policy' });
    expect(more).toEqual([]);
    expect(proposal).toMatchObject({ sha: B.sha, branch: 'refs/heads/main', authorName: 'Carol' });
    const [gate] = store.gates.ofRun(proposal!.id);
    expect(gate!.policy.approvers).toEqual(['alice']);
    expect(gate!.plan[0]!.changes.map((c) => c.subject)).toEqual([
      'pipelines/app.yml job ship: approvers +carol',
    ]);
  });

  it('says what to keep when the commit in force can no longer be read, and decides nothing', async () => {
    const state: { head: TrustedPolicy; known: TrustedPolicy[] } = { head: A, known: [A] };
    const source = ratifiedPolicySource(() => store, trees(state));
    await source.current();
    // The branch was rewritten and the commit in force collected.
    state.head = B;
    state.known = [];
    await expect(source.current()).rejects.toThrow(
      /the policy in force \(aaaaaaaaaaaa on refs\/heads\/main, first use: no policy was in force\) cannot be read, so a change of it cannot be judged: keep that commit in the repository's history \(fatal: bad object a{40}\)/,
    );
    expect(store.runs.list({ kind: 'policy' })).toEqual([]);
  });
});
