import { describe, expect, it } from 'vitest';
import { carryOver } from '../../../src/approvals/carry-over.ts';
import type { ApprovalRecord, GatePolicy, GateRecord } from '../../../src/store/types.ts';

const SHA = 'a'.repeat(40);
const PLAN = 'p'.repeat(64);
const policy: GatePolicy = {
  approvers: ['@acme/ops'],
  required: 2,
  allowSelfApproval: false,
  waitMs: 0,
  timeoutMs: 1,
};
const people = { alice: { os: [] }, bob: { os: [] }, carol: { os: [] } };
const teams = { '@acme/ops': ['alice', 'bob', 'carol'] };

const approval = (login: string, decision: 'approve' | 'reject' = 'approve'): ApprovalRecord => ({
  id: 1,
  gateId: 7,
  login,
  channel: 'dashboard',
  decision,
  sha: SHA,
  planHash: PLAN,
  at: Date.UTC(2026, 0, 2, 3, 4, 5),
});

const approved = (approvals: ApprovalRecord[], status: GateRecord['status'] = 'approved'): GateRecord => ({
  id: 7,
  runId: 12,
  job: 'prod',
  round: 1,
  status,
  policy,
  plan: [],
  planHash: PLAN,
  sha: SHA,
  reachedAt: 0,
  opensAt: 0,
  expiresAt: 1,
  approvals,
});

describe('carryOver', () => {
  it('carries the approvals of a gate approved for the same commit and plan, saying whose and why', () => {
    const verdict = carryOver(
      approved([approval('alice'), approval('bob')]),
      { sha: SHA, planHash: PLAN, policy },
      { people, teams },
    );
    expect(verdict).toEqual({
      carried: true,
      approvals: [approval('alice'), approval('bob')],
      reason:
        'approval carried over from run 12 (gate 7): approved by alice via dashboard at 2026-01-02T03:04:05.000Z, ' +
        'bob via dashboard at 2026-01-02T03:04:05.000Z; same commit aaaaaaaaaaaa and plan pppppppppppp, ' +
        'approvers still under the policy in force',
    });
  });

  it('carries nothing to another commit, another plan, or from a gate that was not approved', () => {
    const gate = approved([approval('alice'), approval('bob')]);
    const other = { sha: 'b'.repeat(40), planHash: PLAN, policy };
    expect(carryOver(gate, other, { people, teams }).reason).toBe(
      'not carried over: run 12 was approved for commit aaaaaaaaaaaa, this re-run is at bbbbbbbbbbbb; the gate opens again',
    );
    expect(carryOver(gate, { sha: SHA, planHash: 'q'.repeat(64), policy }, { people, teams }).reason).toBe(
      "not carried over: the plan changed since run 12's approval (plan pppppppppppp -> qqqqqqqqqqqq); the gate opens again",
    );
    expect(carryOver(approved([], 'void'), { sha: SHA, planHash: PLAN, policy }, { people, teams })).toEqual({
      carried: false,
      reason: 'not carried over: the gate of run 12 was void, not approved; the gate opens again',
    });
  });

  it('counts only persons who are still approvers under the policy in force, each once', () => {
    const to = { sha: SHA, planHash: PLAN, policy };
    // bob left the team and carol left the people table on the default branch since they approved.
    const now = {
      people: { alice: { os: [] }, bob: { os: [] } },
      teams: { '@acme/ops': ['alice', 'carol'] },
    };
    expect(carryOver(approved([approval('alice'), approval('bob'), approval('carol')]), to, now)).toEqual({
      carried: false,
      reason:
        'not carried over: 1 of the 2 approvals the policy in force requires still count ' +
        '(bob, carol no longer among the approvers); the gate opens again',
    });
    expect(carryOver(approved([approval('alice'), approval('alice')]), to, { people, teams }).carried).toBe(
      false,
    );
  });
});
