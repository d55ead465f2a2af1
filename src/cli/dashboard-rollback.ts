import type { PolicySource } from '../approvals/policy-source.ts';
import type { ActionResult, RollbackRequest } from '../dashboard/data.ts';
import { createRollbackRun } from '../engine/rollback-run.ts';
import type { Store } from '../store/store.ts';
import { errorMessage } from '../util/errors.ts';
import { checkoutUnder, dashboardStarter } from './dashboard-starter.ts';
import { headCommit } from './git-commit.ts';

/**
 * A rollback asked for on the dashboard: the ops repository as checked out now under the policy in force
 * (so the deploy job and its gate are today's), queued like `slipway rollback ENV --app APP` with the
 * signed-in login as its trigger: that person may not approve it, and must be a person to ask.
 */
export async function dashboardRollback(
  store: Store,
  { env, app, login }: RollbackRequest,
  root: string,
  inventoriesRoot: string | undefined,
  source: PolicySource,
): Promise<ActionResult> {
  const starter = await dashboardStarter(source, login);
  if ('reason' in starter) return { ok: false, reason: starter.reason };
  const repo = await checkoutUnder(starter.policy, root, inventoriesRoot);
  if ('reason' in repo) return { ok: false, reason: repo.reason };
  try {
    const { runId, target } = createRollbackRun(store, {
      repo,
      env,
      app,
      commit: await headCommit(root),
      triggeredBy: login,
      triggerIdentity: starter.identity,
      channel: 'dashboard',
      policy: starter.policy,
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
