import type { PolicySource } from '../approvals/policy-source.ts';
import type { TrustedPolicy } from '../approvals/trusted-policy.ts';
import { loadRepo } from '../config/load-repo.ts';
import type { OpsRepo } from '../config/types.ts';
import type { ActionResult, RollbackRequest, StartRequest } from '../dashboard/data.ts';
import type { Commit } from '../engine/create-run.ts';
import { createRun } from '../engine/create-run.ts';
import { createRollbackRun } from '../engine/rollback-run.ts';
import type { Store } from '../store/store.ts';
import { errorMessage } from '../util/errors.ts';
import { headCommit } from './git-commit.ts';

/** Where the dashboard's starts come from: the served checkout and its inventories, under the policy in force. */
export interface ServedCheckout {
  root: string;
  inventoriesRoot?: string;
  policy: PolicySource;
}

/**
 * Runs `start` on the ops repository as checked out now under the policy in force (so jobs and gates are
 * today's) at its HEAD; what the policy or the engine refuses comes back as the refusal's reason.
 */
async function underPolicy(
  at: ServedCheckout,
  start: (c: { repo: OpsRepo; policy: TrustedPolicy; commit: Commit }) => ActionResult,
): Promise<ActionResult> {
  try {
    const policy = await at.policy.current();
    const loaded = await loadRepo(at.root, { inventoriesRoot: at.inventoriesRoot, projectFrom: policy.root });
    if (!loaded.ok)
      return {
        ok: false,
        reason: `the ops repository has ${loaded.errors.length} errors (slipway validate)`,
      };
    return start({ repo: loaded.repo, policy, commit: await headCommit(at.root) });
  } catch (err) {
    return { ok: false, reason: errorMessage(err) };
  }
}

/** Who asked, as every run the dashboard starts records it: that person may not approve it. */
const asStarter = (login: string) => ({
  triggeredBy: login,
  triggerIdentity: { channel: 'dashboard' as const, login },
  channel: 'dashboard' as const,
});

/**
 * A rollback asked for on the dashboard, queued like `slipway rollback ENV --app APP`; with `redeploy`, the
 * live release again on every host (new containers). Either passes the environment's gates.
 */
export function dashboardRollback(
  store: Store,
  { env, app, login }: RollbackRequest,
  at: ServedCheckout,
  { redeploy = false } = {},
) {
  return underPolicy(at, ({ repo, policy, commit }) => {
    const { runId, target } = createRollbackRun(store, {
      repo,
      env,
      app,
      ...(redeploy ? { redeploy } : {}),
      commit,
      ...asStarter(login),
      policy,
      ...(at.inventoriesRoot ? { inventoriesRoot: at.inventoriesRoot } : {}),
    });
    const what = redeploy
      ? `redeploy of ${app} in ${env} (${target.release.releaseId})`
      : `rollback of ${app} in ${env} to ${target.release.releaseId}`;
    return { ok: true, runId: String(runId), message: `${what} queued` };
  });
}

/** A run asked for on an environment's page: the pipeline's jobs in that environment and the jobs they need. */
export function dashboardRun(store: Store, { env, pipeline, login }: StartRequest, at: ServedCheckout) {
  return underPolicy(at, ({ repo, policy, commit }) => {
    const file = repo.pipelines.find((p) => p.pipeline.name === pipeline);
    if (!file) return { ok: false, reason: `no pipeline ${pipeline}` };
    const jobs = Object.entries(file.pipeline.jobs).flatMap(([name, j]) =>
      j.environment === env ? [name] : [],
    );
    if (jobs.length === 0) return { ok: false, reason: `pipeline ${pipeline} has no job in ${env}` };
    const runId = createRun(store, {
      repo,
      pipeline: file,
      jobs,
      commit,
      ...asStarter(login),
      policy,
      ...(at.inventoriesRoot ? { inventoriesRoot: at.inventoriesRoot } : {}),
    });
    return { ok: true, runId: String(runId), message: `run of ${pipeline} in ${env} queued` };
  });
}
