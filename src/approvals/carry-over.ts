import type { Project } from '../config/schema/project.ts';
import type { ApprovalRecord, GatePolicy, GateRecord } from '../store/types.ts';
import { isApprover } from './policy.ts';

/** The gate a re-run is about to open: its commit, the hash of the plan computed now, the policy in force. */
export interface GateToOpen {
  sha: string;
  planHash: string;
  policy: GatePolicy;
}

/** Approvals that stand for the gate about to open (and why), or why the gate must open again. */
export type CarryOverVerdict =
  | { carried: true; approvals: ApprovalRecord[]; reason: string }
  | { carried: false; reason: string };

/**
 * Whether the approvals of `from`, the same gate of the failed run a re-run repeats, stand for the gate the
 * re-run is about to open: only when that gate was approved for the same commit and the same plan (its hash
 * recomputed now), and its approvers still reach the required count as approvers under the policy in force.
 * Anything else opens the gate again.
 */
export function carryOver(
  from: GateRecord,
  to: GateToOpen,
  policy: Pick<Project, 'teams' | 'people'>,
): CarryOverVerdict {
  const origin = `run ${from.runId}`;
  if (from.status !== 'approved') return refuse(`the gate of ${origin} was ${from.status}, not approved`);
  if (from.sha !== to.sha) {
    return refuse(
      `${origin} was approved for commit ${from.sha.slice(0, 12)}, this re-run is at ${to.sha.slice(0, 12)}`,
    );
  }
  if (from.planHash !== to.planHash) {
    return refuse(
      `the plan changed since ${origin}'s approval (plan ${from.planHash.slice(0, 12)} -> ${to.planHash.slice(0, 12)})`,
    );
  }
  const approvals = from.approvals.filter((a) => a.decision === 'approve');
  const standing = approvals.filter(
    (a) => policy.people[a.login] !== undefined && isApprover(a.login, to.policy.approvers, policy.teams),
  );
  const persons = [...new Set(standing.map((a) => a.login))];
  if (persons.length < to.policy.required) {
    const lapsed = approvals.filter((a) => !standing.includes(a)).map((a) => a.login);
    return refuse(
      `${persons.length} of the ${to.policy.required} approvals the policy in force requires still count` +
        `${lapsed.length ? ` (${lapsed.join(', ')} no longer among the approvers)` : ''}`,
    );
  }
  const by = standing.map((a) => `${a.login} via ${a.channel} at ${new Date(a.at).toISOString()}`).join(', ');
  return {
    carried: true,
    approvals: standing,
    reason:
      `approval carried over from ${origin} (gate ${from.id}): approved by ${by}; ` +
      `same commit ${to.sha.slice(0, 12)} and plan ${to.planHash.slice(0, 12)}, ` +
      `approvers still under the policy in force`,
  };
}

function refuse(why: string): CarryOverVerdict {
  return { carried: false, reason: `not carried over: ${why}; the gate opens again` };
}
