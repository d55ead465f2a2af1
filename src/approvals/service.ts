import type { Store } from '../store/store.ts';
import type { GateRecord, RunRecord } from '../store/types.ts';
import { actorName } from './identity.ts';
import { parseIdentity } from './people.ts';
import { type Actor, type DecisionRequest, type DecisionVerdict, decide } from './policy.ts';
import type { PolicySource } from './policy-source.ts';
import { settlePolicyRun } from './ratified-policy.ts';
import type { TrustedPolicy } from './trusted-policy.ts';

/** A decision submitted through any channel. */
export interface DecisionSubmission {
  runId: number;
  /** The gated job; may be omitted when the run has exactly one pending gate. */
  job?: string;
  actor: Actor;
  decision: 'approve' | 'reject';
  reason?: string;
  /** The policy in force (the default branch), read at the time of the decision. */
  policy: PolicySource;
  /** The plan the decider was shown; a gate holding another plan refuses the decision. */
  expectedPlanHash?: string;
  now?: number;
}

/** The verdict plus the gate it was about (undefined when no pending gate matched). */
export type DecisionOutcome = DecisionVerdict & { gate?: GateRecord };

/**
 * A decision request about `gate` of the first run of `lineage` (the run, then the runs it re-runs) under
 * `policy`: who wrote the commit, and who started the run or any run it repeats.
 */
export function decisionRequest(
  gate: GateRecord,
  lineage: readonly RunRecord[],
  policy: TrustedPolicy,
  d: Pick<DecisionRequest, 'actor' | 'decision' | 'reason' | 'now'>,
): DecisionRequest {
  const run = lineage[0]!;
  return {
    ...d,
    gate,
    commitAuthor: { name: run.authorName, email: run.authorEmail },
    triggers: lineage.flatMap((r) => parseIdentity(r.triggerIdentity) ?? []),
    policy: policy.project,
  };
}

/**
 * Judges a decision with the policy and records it: the audit trail gets every attempt, accepted or refused;
 * an accepted approval that reaches the required count opens the gate, an accepted rejection closes it.
 */
export async function submitDecision(store: Store, sub: DecisionSubmission): Promise<DecisionOutcome> {
  const now = sub.now ?? Date.now();
  let policy: TrustedPolicy | undefined;
  const audit = (verdict: DecisionVerdict, gate?: GateRecord) =>
    store.gates.audit({
      at: now,
      runId: sub.runId,
      gateId: gate?.id,
      job: gate?.job ?? sub.job,
      actor: actorName(sub.actor, policy?.project.people),
      channel: sub.actor.channel,
      action: sub.decision,
      outcome: verdict.accepted ? 'accepted' : 'refused',
      reason: verdict.accepted ? (sub.reason ?? verdict.reason) : verdict.reason,
    });
  const refuse = (reason: string): DecisionOutcome => {
    const verdict: DecisionVerdict = { accepted: false, reason };
    audit(verdict);
    return verdict;
  };

  try {
    policy = await sub.policy.current();
  } catch (err) {
    return refuse(`the policy in force cannot be read: ${(err as Error).message}`);
  }
  const run = store.runs.get(sub.runId);
  const found = run ? pendingGate(store, sub.runId, sub.job) : { error: `there is no run ${sub.runId}` };
  if ('error' in found) return refuse(found.error);
  // A gate's plan never changes (a new plan is a new gate), so the one read above is the one decided on.
  if (sub.expectedPlanHash !== undefined && sub.expectedPlanHash !== found.gate.planHash) {
    const verdict: DecisionVerdict = {
      accepted: false,
      reason: `expected plan ${sub.expectedPlanHash}, but the gate holds plan ${found.gate.planHash}: read the plan again`,
    };
    audit(verdict, found.gate);
    return { ...verdict, gate: found.gate };
  }
  const trusted = policy;
  return store.transaction(() => {
    // Read again inside the write transaction: another approver may have decided meanwhile.
    const gate = store.gates.get(found.gate.id)!;
    const verdict = decide(decisionRequest(gate, store.runs.lineage(run!.id), trusted, { ...sub, now }));
    audit(verdict, gate);
    if (verdict.accepted) {
      store.gates.addApproval({
        gateId: gate.id,
        login: verdict.person,
        channel: sub.actor.channel,
        decision: sub.decision,
        sha: gate.sha,
        planHash: gate.planHash,
        reason: sub.reason,
        at: now,
      });
      if (sub.decision === 'reject') store.gates.setStatus(gate.id, 'rejected', verdict.reason, now);
      else if (verdict.opens) store.gates.setStatus(gate.id, 'approved', verdict.reason, now);
      if (run!.kind === 'policy') settlePolicyRun(store, run!, store.gates.get(gate.id)!, now);
    }
    return { ...verdict, gate: store.gates.get(gate.id) };
  });
}

function pendingGate(store: Store, runId: number, job?: string): { gate: GateRecord } | { error: string } {
  const pending = store.gates.ofRun(runId).filter((g) => g.status === 'pending' && (!job || g.job === job));
  if (pending.length === 1) return { gate: pending[0]! };
  if (pending.length === 0)
    return { error: `run ${runId} has no pending gate${job ? ` for job ${job}` : ''}` };
  return {
    error: `run ${runId} has several pending gates (${pending.map((g) => g.job).join(', ')}): name the job`,
  };
}
