import { stopGroup } from '../process/group.ts';
import { isOwnerAlive, isProcessAlive } from '../process/identity.ts';
import type { Store } from '../store/store.ts';
import { FINAL_JOB_STATUSES, type RunRecord } from '../store/types.ts';

/** A remote owner whose heartbeat is older than this is taken for dead. */
export const OWNER_STALE_MS = 60_000;

/**
 * Finds runs whose executing process died (kill -9, crash, reboot) and records what that means: a step that
 * was running becomes `interrupted` (its effect is unknown, so it is never re-applied silently), the run
 * becomes `interrupted`, and its environment locks are released with an audit record. A run parked at a gate
 * just loses its watcher. Returns the ids of the runs recovered.
 */
export async function recoverAbandonedRuns(store: Store, now = Date.now()): Promise<number[]> {
  const recovered: number[] = [];
  for (const run of store.runs.owned()) {
    if (isOwnerAlive(run.owner!, run.heartbeatAt, OWNER_STALE_MS, now)) continue;
    const orphans = markInterrupted(store, run, now);
    if (!orphans) continue;
    recovered.push(run.id);
    // The dead runner's children lead their own process groups and outlive it: stop what is left.
    await Promise.all(orphans.map((pgid) => stopGroup(pgid)));
  }
  return recovered;
}

/** Records the death of a run's owner; the orphaned process groups to stop, or undefined if someone else did. */
function markInterrupted(store: Store, seen: RunRecord, now: number): number[] | undefined {
  return store.transaction(() => {
    // Another process may have recovered (and even re-claimed) the run since we looked: only act on the dead owner.
    const run = store.runs.get(seen.id)!;
    if (!run.owner || run.owner.pid !== seen.owner!.pid || run.owner.start !== seen.owner!.start)
      return undefined;
    const owner = `pid ${run.owner!.pid} on ${run.owner!.host}`;
    const orphans: number[] = [];
    const running = store.runs.steps(run.id).filter((s) => s.status === 'running');
    for (const step of running) {
      if (step.child && isProcessAlive(step.child)) orphans.push(step.child.pid);
      store.runs.setStepStatus(
        run.id,
        step.job,
        step.idx,
        'interrupted',
        { reason: `the runner (${owner}) died while this step ran; its effect is unknown` },
        now,
      );
    }
    for (const job of store.runs.jobs(run.id)) {
      if (FINAL_JOB_STATUSES.includes(job.status) || job.status === 'pending') continue;
      if (job.status === 'waiting') continue; // still at its gate: nothing was applied
      store.runs.setJobStatus(
        run.id,
        job.name,
        running.some((s) => s.job === job.name) ? 'interrupted' : 'pending',
        undefined,
        now,
      );
    }
    store.runs.clearOwner(run.id);
    if (run.status === 'waiting') return orphans;
    if (neverStartedAStep(store, run.id)) {
      // Nothing was applied, so nothing is of unknown effect: the run goes back to the queue by itself (and
      // takes its place in the lock queues again when it runs: a queued run no process serves holds no lock).
      store.runs.setStatus(
        run.id,
        'queued',
        `the runner (${owner}) died before any step started; queued again`,
        now,
      );
    } else {
      store.runs.setStatus(
        run.id,
        'interrupted',
        running.length
          ? `the runner (${owner}) died during ${running.map((s) => `${s.job}[${s.idx}] ${s.name}`).join(', ')}`
          : `the runner (${owner}) died`,
        now,
      );
    }
    for (const lock of store.locks.all().filter((l) => l.runId === run.id)) {
      store.locks.release(run.id, lock.environment, `holder run ${run.id} died (${owner})`);
      store.gates.audit({
        at: now,
        runId: run.id,
        actor: 'slipway',
        channel: 'system',
        action: 'release-lock',
        outcome: 'recorded',
        reason: `lock on ${lock.environment} released: its holder (${owner}) died`,
      });
    }
    return orphans;
  });
}

/**
 * Ends runs whose pending gate timed out while no process watched them: the gate, its job and the run
 * become `expired` and the run's locks are released. Returns the ids of the runs that expired.
 */
export function expireUnwatchedGates(store: Store, now = Date.now()): number[] {
  const expired: number[] = [];
  for (const gate of store.gates.pending()) {
    if (now < gate.expiresAt) continue;
    const run = store.runs.get(gate.runId);
    if (!run || run.owner) continue; // an executing process handles its own gates
    store.transaction(() => {
      store.gates.closeBySystem(gate, 'expired', 'no decision before the timeout', now);
      finishRun(store, run.id, 'expired', `the gate of ${gate.job} expired without a decision`, now);
    });
    expired.push(run.id);
  }
  return expired;
}

/** Ends a run no process executes: open jobs get `status`, pending gates close, locks are released. */
export function finishRun(
  store: Store,
  runId: number,
  status: 'canceled' | 'expired',
  reason: string,
  now = Date.now(),
): void {
  store.transaction(() => {
    for (const gate of store.gates.ofRun(runId)) {
      if (gate.status === 'pending')
        store.gates.setStatus(gate.id, status === 'canceled' ? 'canceled' : 'expired', reason, now);
    }
    for (const job of store.runs.jobs(runId)) {
      if (FINAL_JOB_STATUSES.includes(job.status)) continue;
      store.runs.setJobStatus(runId, job.name, job.status === 'pending' ? 'skipped' : status, reason, now);
    }
    store.runs.setStatus(runId, status, reason, now);
    store.locks.release(runId, undefined, `run ${status}`);
  });
}

function neverStartedAStep(store: Store, runId: number): boolean {
  return store.runs.steps(runId).every((s) => s.status === 'pending');
}
