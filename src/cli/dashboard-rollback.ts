import type { PolicySource } from '../approvals/policy-source.ts';
import { loadRepo } from '../config/load-repo.ts';
import type { ActionResult, RollbackRequest } from '../dashboard/data.ts';
import { createRollbackRun } from '../engine/rollback-run.ts';
import type { Store } from '../store/store.ts';
import { errorMessage } from '../util/errors.ts';
import { headCommit } from './git-commit.ts';

/**
 * A rollback asked for on the dashboard: the ops repository as checked out now under the policy in force
 * (so the deploy job and its gate are today's), queued like `slipway rollback ENV --app APP` with the
 * signed-in login as its trigger: that person may not approve it.
 */
export async function dashboardRollback(
  store: Store,
  { env, app, login }: RollbackRequest,
  root: string,
  inventoriesRoot: string | undefined,
  source: PolicySource,
): Promise<ActionResult> {
  let policy: Awaited<ReturnType<PolicySource['current']>>;
  try {
    policy = await source.current();
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
  const loaded = await loadRepo(root, { inventoriesRoot, projectFrom: policy.root });
  if (!loaded.ok)
    return { ok: false, reason: `the ops repository has ${loaded.errors.length} errors (slipway validate)` };
  try {
    const { runId, target } = createRollbackRun(store, {
      repo: loaded.repo,
      env,
      app,
      commit: await headCommit(root),
      triggeredBy: login,
      triggerIdentity: { channel: 'dashboard', login },
      channel: 'dashboard',
      policy,
      inventoriesRoot,
    });
    return {
      ok: true,
      runId: String(runId),
      message: `rollback of ${app} in ${env} to ${target.release.releaseId} queued`,
    };
  } catch (err) {
    return { ok: false, reason: errorMessage(err) };
  }
}
