import type { Store } from '../store/store.ts';
import type { Channel } from '../store/types.ts';
import { FINAL_RUN_STATUSES } from '../store/types.ts';
import { finishRun, recoverAbandonedRuns } from './recovery.ts';

/** What a cancel did: asked the executing process to stop, ended an unattended run, or found it already over. */
export type CancelOutcome = 'requested' | 'canceled' | 'already-final';

/**
 * Cancels a run on behalf of `by`. An executing process sees the request at its next poll and stops its
 * steps (process groups included); a run no process executes (parked at a gate, interrupted) ends here.
 */
export async function cancelRun(
  store: Store,
  runId: number,
  by: string,
  channel: Channel,
): Promise<CancelOutcome> {
  await recoverAbandonedRuns(store);
  const run = store.runs.get(runId);
  if (!run) throw new Error(`there is no run ${runId}`);
  if (FINAL_RUN_STATUSES.includes(run.status)) return 'already-final';
  return store.transaction(() => {
    store.runs.requestCancel(runId, by);
    store.gates.audit({ runId, actor: by, channel, action: 'cancel', outcome: 'accepted' });
    if (store.runs.get(runId)!.owner) return 'requested';
    finishRun(store, runId, 'canceled', `canceled by ${by}`);
    return 'canceled';
  });
}
