import type { Change } from '../core/changes.ts';
import type { Store } from '../store/store.ts';
import type { GatePolicy, GateRecord, PlannedStep, RunRecord } from '../store/types.ts';
import { errorMessage } from '../util/errors.ts';
import { planHash } from './plan-hash.ts';
import { type PolicyChange, policyChanges, ratificationGate } from './policy-diff.ts';
import { PolicyError, type PolicySource, type PolicyTrees } from './policy-source.ts';
import type { TrustedPolicy } from './trusted-policy.ts';

/** The one job of a policy-change run: its gate ratifies the proposed policy. */
export const RATIFY_JOB = 'ratify-policy';

/**
 * The policy in force: the default branch's, as long as each change of it was ratified. A change that
 * weakens nothing is ratified at once; one that weakens (an approver or team widened, fewer required, a
 * gate removed, self-approval allowed, a branch let into an environment) waits at the gate of a
 * policy-change run, decided under the policy before it, which stays in force meanwhile. The first policy a
 * store sees is taken as it is (there is nothing to compare it with).
 */
export function ratifiedPolicySource(openStore: () => Store, trees: PolicyTrees): PolicySource {
  let opened: Store | undefined;
  return {
    async current(signal) {
      const head = await trees.current(signal);
      // Opened at the first question, so a command that never asks opens no store.
      opened ??= openStore();
      const store = opened;
      const inForce = store.policies.inForce();
      if (!inForce) {
        store.policies.ratify({ sha: head.sha, ref: head.ref, how: 'first use: no policy was in force' });
        return head;
      }
      if (inForce.sha === head.sha) return head;
      const old = await trees.at(inForce.ref, inForce.sha, signal).catch((err: unknown) => {
        throw new PolicyError(
          `the policy in force (${short(inForce.sha)} on ${inForce.ref}, ${inForce.how}) cannot be read, so a ` +
            `change of it cannot be judged: keep that commit in the repository's history (${errorMessage(err)})`,
        );
      });
      return settle(store, old, head);
    },
  };
}

/** Ratifies `head` when it weakens nothing, else proposes it at a gate; returns the policy in force. */
function settle(store: Store, old: TrustedPolicy, head: TrustedPolicy): TrustedPolicy {
  const changes = policyChanges(old, head);
  const weakening = changes.filter((c) => c.weakens);
  const ratify = (how: string) => {
    store.policies.ratify({ sha: head.sha, ref: head.ref, how });
    return head;
  };
  if (!weakening.length) {
    return ratify(
      changes.length ? `weakens nothing (${changes.map((c) => c.text).join('; ')})` : 'no change of policy',
    );
  }
  const gate = ratificationGate(old, weakening);
  if (!gate) return ratify(`the policy at ${short(old.sha)} has no gate to decide a change at`);
  propose(store, old, head, changes, gate);
  return old;
}

/**
 * Opens the policy-change run of `head` unless it has one (decided or not: a rejected change stays
 * rejected until the branch moves again); a pending change of another commit is superseded.
 */
function propose(
  store: Store,
  old: TrustedPolicy,
  head: TrustedPolicy,
  changes: readonly PolicyChange[],
  policy: GatePolicy,
): void {
  store.transaction(() => {
    if (store.runs.list({ kind: 'policy', sha: head.sha, limit: 1 }).length) return;
    for (const stale of store.runs.list({ kind: 'policy', status: ['waiting'], limit: 100 })) {
      close(store, stale, 'canceled', `superseded by the policy at ${short(head.sha)}`);
    }
    const runId = store.runs.create({
      kind: 'policy',
      pipeline: 'policy change',
      pipelineFile: 'slipway.yml',
      repoRoot: head.root,
      sha: head.sha,
      // The ref the policy is read from, verbatim: the ratification names it.
      branch: head.ref,
      authorName: head.author?.name,
      authorEmail: head.author?.email,
      triggeredBy: 'slipway',
      channel: 'system',
      jobs: [{ name: RATIFY_JOB, needs: [], steps: [] }],
    });
    const weakening = changes.filter((c) => c.weakens).length;
    const plan: PlannedStep[] = [
      { step: 0, kind: 'policy', name: `policy on ${head.ref}`, changes: changes.map(toChange) },
    ];
    store.runs.setStatus(
      runId,
      'waiting',
      `${weakening} change(s) weaken the policy; the policy at ${short(old.sha)} stays in force until approved`,
    );
    store.runs.setJobStatus(
      runId,
      RATIFY_JOB,
      'waiting',
      `waiting for approval under the policy at ${short(old.sha)} (${policy.required} of ${policy.approvers.join(', ')})`,
    );
    store.gates.open({
      runId,
      job: RATIFY_JOB,
      policy,
      plan,
      planHash: planHash(head.sha, plan),
      sha: head.sha,
      reachedAt: Date.now(),
    });
  });
}

/**
 * Ends a policy-change run once its gate is decided: approved puts its policy in force, rejected leaves
 * the policy before it. Called in the decision's transaction.
 */
export function settlePolicyRun(store: Store, run: RunRecord, gate: GateRecord, now = Date.now()): void {
  if (gate.status === 'approved') {
    store.policies.ratify({
      sha: run.sha,
      ref: run.branch,
      how: `approved at the gate of run ${run.id}: ${gate.reason ?? ''}`.trim(),
      runId: run.id,
      at: now,
    });
    store.runs.setJobStatus(run.id, RATIFY_JOB, 'succeeded', gate.reason, now);
    store.runs.setStatus(run.id, 'succeeded', `the policy at ${short(run.sha)} is in force`, now);
  } else if (gate.status === 'rejected') close(store, run, 'rejected', gate.reason ?? 'rejected');
}

function close(store: Store, run: RunRecord, status: 'canceled' | 'rejected', reason: string): void {
  for (const g of store.gates.ofRun(run.id)) {
    if (g.status === 'pending')
      store.gates.setStatus(g.id, status === 'rejected' ? 'rejected' : 'canceled', reason);
  }
  store.runs.setJobStatus(run.id, RATIFY_JOB, status, reason);
  store.runs.setStatus(run.id, status, reason);
}

function toChange(c: PolicyChange): Change {
  return {
    action: 'change',
    subject: c.text,
    ...(c.weakens
      ? { detail: 'weakens the policy in force: takes effect only once this gate is approved' }
      : {}),
  };
}

function short(sha: string): string {
  return sha.slice(0, 12);
}
