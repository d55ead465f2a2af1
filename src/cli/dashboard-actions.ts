import type { Identity } from '../approvals/people.ts';
import type { PolicySource } from '../approvals/policy-source.ts';
import type { TrustedPolicy } from '../approvals/trusted-policy.ts';
import type { OpsRepo } from '../config/types.ts';
import type { ActionResult, RollbackRequest, StartRequest } from '../dashboard/data.ts';
import type { Commit } from '../engine/create-run.ts';
import { createRun } from '../engine/create-run.ts';
import { chooseRollback, createRollbackRun } from '../engine/rollback-run.ts';
import type { Store } from '../store/store.ts';
import { jobRequesterFor } from '../triggers/app-job-run.ts';
import type { Checkouts } from '../triggers/checkout.ts';
import { errorMessage } from '../util/errors.ts';
import { dirtyMessage, dirtyTree, pathsRead } from './clean-tree.ts';
import { checkoutUnder, dashboardStarter } from './dashboard-starter.ts';
import { headCommit } from './git-commit.ts';

/** Where the dashboard's starts come from: the served checkout and its inventories, under the policy in force. */
export interface ServedCheckout {
  root: string;
  inventoriesRoot?: string;
  policy: PolicySource;
}

/**
 * Runs `start` on the ops repository as checked out now under the policy in force (so jobs and gates are
 * today's) at its HEAD, refused while the working tree holds edits HEAD does not, for `login` if it is a person's under that policy (`dashboardStarter`); what the
 * policy or the engine refuses comes back as the refusal's reason.
 */
async function underPolicy(
  at: ServedCheckout,
  login: string,
  start: (c: {
    repo: OpsRepo;
    policy: TrustedPolicy;
    commit: Commit;
    by: Identity;
  }) => ActionResult | Promise<ActionResult>,
): Promise<ActionResult> {
  try {
    const starter = await dashboardStarter(at.policy, login);
    if ('reason' in starter) return { ok: false, reason: starter.reason };
    const repo = await checkoutUnder(starter.policy, at.root, at.inventoriesRoot);
    if ('reason' in repo) return { ok: false, reason: repo.reason };
    const read = repo.pipelines.flatMap((p) => pathsRead(p.pipeline));
    const dirty = dirtyMessage(await dirtyTree(at.root, read), 'a run started here');
    if (dirty) return { ok: false, reason: `the served checkout ${at.root}: ${dirty}` };
    return await start({
      repo,
      policy: starter.policy,
      commit: await headCommit(at.root),
      by: starter.identity,
    });
  } catch (err) {
    return { ok: false, reason: errorMessage(err) };
  }
}

/** Who asked, as every run the dashboard starts records it: that person may not approve it. */
const asStarter = (by: Identity) => ({
  triggeredBy: by.login,
  triggerIdentity: by,
  channel: 'dashboard' as const,
});

/**
 * A rollback asked for on the dashboard, queued like `slipway rollback ENV --app APP`; with `redeploy`, the
 * live release again on every host (new containers). Either passes the environment's gates. A registered
 * app's commit is checked out with `at.checkouts` (beside serve's store).
 */
export function dashboardRollback(
  store: Store,
  { env, app, login }: RollbackRequest,
  at: ServedCheckout & { checkouts: Checkouts },
  { redeploy = false } = {},
) {
  return underPolicy(at, login, async ({ repo, policy, commit, by }) => {
    const req = {
      repo,
      env,
      app,
      ...(redeploy ? { redeploy } : {}),
      commit,
      ...asStarter(by),
      policy,
      ...(at.inventoriesRoot ? { inventoriesRoot: at.inventoriesRoot } : {}),
    };
    const chosen = chooseRollback(store, req);
    // A registered app's rollback is an app run at the commit that made the release.
    const asked = await jobRequesterFor(store, req, { env, ...chosen }, at.checkouts);
    const { runId } = createRollbackRun(store, { ...req, ...asked }, chosen);
    const what = redeploy
      ? `redeploy of ${app} in ${env} (${chosen.release.releaseId})`
      : `rollback of ${app} in ${env} to ${chosen.release.releaseId}`;
    return { ok: true, runId: String(runId), message: `${what} queued` };
  });
}

/** A run asked for on an environment's page: the pipeline's jobs in that environment and the jobs they need. */
export function dashboardRun(store: Store, { env, pipeline, login }: StartRequest, at: ServedCheckout) {
  return underPolicy(at, login, ({ repo, policy, commit, by }) => {
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
      ...asStarter(by),
      policy,
      ...(at.inventoriesRoot ? { inventoriesRoot: at.inventoriesRoot } : {}),
    });
    return { ok: true, runId: String(runId), message: `run of ${pipeline} in ${env} queued` };
  });
}
