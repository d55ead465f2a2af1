import { carryOver } from '../approvals/carry-over.ts';
import type { Project } from '../config/schema/project.ts';
import type { NewGate } from '../store/gates.ts';
import type { Store } from '../store/store.ts';
import type { GateRecord, RunRecord } from '../store/types.ts';

/**
 * Opens a gate a run reaches for the first time. On a re-run, the same gate of the nearest run it repeats
 * that reached it is asked first: its approvals stand (the gate opens approved, naming where they come from)
 * only for the same commit and plan under the policy in force; otherwise the gate opens pending and the
 * audit says why nothing was carried over.
 */
export function openFirstGate(
  store: Store,
  run: RunRecord,
  gate: NewGate,
  policy: Pick<Project, 'teams' | 'people'>,
): GateRecord {
  const from = run.rerunOf === undefined ? undefined : earlierGate(store, run.rerunOf, gate);
  if (!from) return store.gates.open(gate);
  const verdict = carryOver(from, gate, policy);
  if (verdict.carried) return store.gates.openCarried(gate, from, verdict.approvals, verdict.reason);
  return store.transaction(() => {
    const opened = store.gates.open(gate);
    store.gates.audit({
      at: gate.reachedAt,
      runId: run.id,
      gateId: opened.id,
      job: gate.job,
      actor: 'slipway',
      channel: 'system',
      action: 'carry-over',
      outcome: 'refused',
      reason: verdict.reason,
    });
    return opened;
  });
}

/** The latest round of the same gate in the nearest run of the lineage starting at `runId` that reached it. */
function earlierGate(store: Store, runId: number, gate: NewGate): GateRecord | undefined {
  for (const run of store.runs.lineage(runId)) {
    const found = store.gates.latest(run.id, gate.job, gate.step);
    if (found) return found;
  }
  return undefined;
}
