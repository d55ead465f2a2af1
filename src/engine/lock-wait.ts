import { duration } from '../config/schema/common.ts';
import type { Store } from '../store/store.ts';

/** How long a run waits for an environment lock before giving up, unless SLIPWAY_LOCK_TIMEOUT says otherwise. */
export const DEFAULT_LOCK_TIMEOUT_MS = 3_600_000;

/** Where a run stands in an environment's lock queue. */
export type LockState =
  | { held: true }
  | { held: false; waitedMs: number; holder: string }
  | { held: false; gone: true };

/** The lock timeout from SLIPWAY_LOCK_TIMEOUT (`30m`, `2h`...); throws what to write when it is malformed. */
export function lockTimeoutFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const text = env.SLIPWAY_LOCK_TIMEOUT;
  if (text === undefined || text === '') return DEFAULT_LOCK_TIMEOUT_MS;
  const parsed = duration.safeParse(text);
  if (!parsed.success) {
    throw new Error(`SLIPWAY_LOCK_TIMEOUT: expected a duration like 30m or 2h, got ${JSON.stringify(text)}`);
  }
  return parsed.data;
}

/** Whether `runId` heads the queue of `env`; otherwise who holds it, how, and since when, for people. */
export function lockState(store: Store, runId: number, env: string, now = Date.now()): LockState {
  const queue = store.locks.queue(env);
  const own = queue.find((e) => e.runId === runId);
  if (!own) return { held: false, gone: true };
  const head = queue[0]!;
  if (head.runId === runId) return { held: true };
  return {
    held: false,
    waitedMs: now - own.requestedAt,
    holder: describeHolder(store, head.runId, head.requestedAt),
  };
}

/** What a job set aside behind a lock says while it waits. */
export function lockWaitText(env: string, holder: string): string {
  return `waiting for ${env}: held by ${holder}`;
}

/**
 * For the worker: true when a run set aside behind another run's lock must still wait. Its job's reason is
 * brought up to date when the holder changed, so `runs` and the dashboard name the run it waits for now.
 */
export function stillWaitsForLock(store: Store, runId: number, now = Date.now()): boolean {
  let waits = false;
  for (const job of store.runs.jobs(runId)) {
    if (job.status !== 'queued' || !job.environment) continue;
    const state = lockState(store, runId, job.environment, now);
    if (state.held || 'gone' in state) continue;
    waits = true;
    const text = lockWaitText(job.environment, state.holder);
    if (job.reason !== text) store.runs.setJobStatus(runId, job.name, 'queued', text, now);
  }
  return waits;
}

/** "run 7 (waiting for approval of deploy-prod), queued since 2026-12-03T18:01:02Z". */
function describeHolder(store: Store, holderId: number, since: number): string {
  const holder = store.runs.get(holderId);
  const what =
    holder?.status === 'waiting' ? (holder.reason ?? 'waiting for approval') : (holder?.status ?? 'gone');
  return `run ${holderId} (${what}), in the queue since ${new Date(since).toISOString()}`;
}
