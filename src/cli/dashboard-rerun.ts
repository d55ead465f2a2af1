import { existsSync } from 'node:fs';
import type { PolicySource } from '../approvals/policy-source.ts';
import type { ActionResult, RerunRequest } from '../dashboard/data.ts';
import { createRerun, failedRun } from '../engine/rerun.ts';
import type { Store } from '../store/store.ts';
import { checkedOutSha } from '../triggers/checkout.ts';
import { loadRunTrees } from '../triggers/run-trees.ts';
import { errorMessage } from '../util/errors.ts';
import { dashboardStarter } from './dashboard-starter.ts';

/**
 * A re-run of a failed run's failed jobs asked for on the dashboard: checked like a rollback (a person
 * under the policy in force asks), then queued like `slipway rerun RUN` from the checkout the run executed
 * in (a commit's tree `serve` wrote, or a working tree still at that commit), with the signed-in login as
 * its trigger: that person may not approve a gate that opens again.
 */
export async function dashboardRerun(
  store: Store,
  { runId, login }: RerunRequest,
  source: PolicySource,
): Promise<ActionResult> {
  const starter = await dashboardStarter(source, login);
  if ('reason' in starter) return { ok: false, reason: starter.reason };
  if (!/^\d+$/.test(runId)) return { ok: false, reason: `there is no run ${runId}` };
  try {
    const { run } = failedRun(store, Number(runId));
    if (!existsSync(run.repoRoot)) {
      return {
        ok: false,
        reason: `the checkout run ${run.id} executed in (${run.repoRoot}) is gone: push its commit again to run it anew`,
      };
    }
    const loaded = await loadRunTrees(run, starter.policy.root);
    if (!loaded.ok)
      return {
        ok: false,
        reason: `the ops repository has ${loaded.errors.length} errors (slipway validate)`,
      };
    const repo = loaded.repo;
    const rerun = createRerun(store, {
      runId: run.id,
      repo,
      checkoutSha: await checkedOutSha(run.repoRoot, run.sha),
      triggeredBy: login,
      triggerIdentity: starter.identity,
      channel: 'dashboard',
      policy: starter.policy,
    });
    return {
      ok: true,
      runId: String(rerun.runId),
      message: `re-run of run ${run.id} (${rerun.jobs.join(', ')}) queued`,
    };
  } catch (err) {
    return { ok: false, reason: errorMessage(err) };
  }
}

/** The commit the run's checkout holds now: its own for a tree written from it, else the working tree's HEAD. */
