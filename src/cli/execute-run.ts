import type { PolicySource } from '../approvals/policy-source.ts';
import type { Pipeline } from '../config/schema/pipeline.ts';
import { cancelRun } from '../engine/cancel.ts';
import { executeRun } from '../engine/executor.ts';
import type { Store } from '../store/store.ts';
import type { RunRecord } from '../store/types.ts';
import { checkedOutSha, isCommitTree } from '../triggers/checkout.ts';
import { DirtyTreeError, requireCleanTree } from './clean-tree.ts';
import { CliError } from './errors.ts';
import { exitCodeFor } from './exit-codes.ts';
import { chooseRenderer, followRun } from './render/follow.ts';
import { runContextLoader } from './run-session.ts';

/** How the CLI executes or continues a run. */
export interface CliExecution {
  store: Store;
  runId: number;
  /** The policy in force, read again when the run is loaded. */
  policy: PolicySource;
  /** The operator, by login (or unmapped account). */
  actor: string;
  detach?: boolean;
  json?: boolean;
  retryInterrupted?: boolean;
  /** Show the run's events from the beginning (a new run) or only from now on (a continued one). */
  fromStart?: boolean;
}

/**
 * Executes a run in this process with live progress; Ctrl-C cancels it cleanly (its processes included).
 * Returns the exit code for the run's status afterwards; a run it may not execute (busy, interrupted) throws.
 */
export async function executeWithProgress(x: CliExecution): Promise<number> {
  const { store, runId } = x;
  const run = store.runs.get(runId)!;
  const dirty = await dirtyRefusal(run, x.policy);
  if (dirty) throw new CliError(`refused: ${dirty}`);
  const renderer = chooseRenderer(store, runId, x.json);
  const afterId = x.fromStart ? 0 : store.events.lastId();
  const onSignal = () => {
    process.stderr.write(`\nslipway: canceling run ${runId} (its steps get SIGTERM, then SIGKILL)\n`);
    void cancelRun(store, runId, x.actor, 'cli');
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const done = executeRun({
    store,
    runId,
    load: runContextLoader(x.policy),
    actor: x.actor,
    detach: x.detach,
    retryInterrupted: x.retryInterrupted,
    // A tree serve wrote from a commit (an app repository's run too) holds that commit; a working tree its HEAD.
    checkoutSha: () => checkedOutSha(run.repoRoot, run.sha),
  });
  try {
    await followRun(store, runId, renderer, done, afterId);
    const status = await done;
    const after = store.detail(runId)!;
    if (!x.json) {
      const waiting = after.gates.filter((g) => g.status === 'pending');
      const next = waiting.length
        ? `; decide with: ${waiting.map((g) => `slipway approve ${runId} ${g.job}`).join(', ')}, then slipway resume ${runId}`
        : status === 'queued'
          ? `; it goes on under slipway serve, or with slipway resume ${runId} once the lock is free`
          : status === 'failed'
            ? `; once the cause is fixed, re-run the failed jobs with: slipway rerun ${runId}`
            : '';
      process.stderr.write(
        `run ${runId} ${status}${after.run.reason ? `: ${after.run.reason}` : ''}${next}\n`,
      );
    }
    return exitCodeFor(status);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** Executes a run this command has just created, showing its events from the start (`run`, `rerun`, `rollback`). */
export function executeNewRun(
  store: Store,
  runId: number,
  policy: PolicySource,
  actor: string,
  flags: { detach?: boolean; json?: boolean },
): Promise<number> {
  return executeWithProgress({ store, runId, policy, actor, ...flags, fromStart: true });
}

/** Why the working tree may not continue the run (edits no commit holds), if it may not. */
async function dirtyRefusal(run: RunRecord, policy: PolicySource): Promise<string | undefined> {
  // Runs queued by serve or Actions execute in checkouts written from the commit itself, not a working tree;
  // so does a re-run of an app repository's run, in the tree serve wrote.
  if (run.channel !== 'cli' || isCommitTree(run.repoRoot, run.sha)) return undefined;
  let pipeline: Pipeline;
  try {
    pipeline = (await runContextLoader(policy)(run)).pipeline.pipeline;
  } catch {
    return undefined; // An invalid repository fails the run with its own message when executed.
  }
  try {
    await requireCleanTree(run.repoRoot, pipeline, `continuing run ${run.id}`);
    return undefined;
  } catch (err) {
    if (err instanceof DirtyTreeError) return err.message;
    throw err;
  }
}
