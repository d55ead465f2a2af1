// Rollbacks, redeploys and restores of an app registered under `apps:`: its deploy job is in the app
// repository's pipeline, so the run is an app run like the one that made the release.
import { ConfigErrorList } from '../config/errors.ts';
import { loadAppRepo } from '../config/load-repo.ts';
import type { JobRequester } from '../engine/create-run.ts';
import type { Store } from '../store/store.ts';
import type { ReleaseRecord, RunRecord } from '../store/types.ts';
import type { Checkouts } from './checkout.ts';

/**
 * Who asks for a rollback, redeploy or restore of `app` in `env`, as the run must record it: `who` unchanged for
 * an app of the ops repository; for an app registered in slipway.yml in force, an app run at the app commit of
 * the run that recorded `release` (else of the app's live release: `appDeployRun`), under the ops commit in force.
 */
export async function jobRequesterFor(
  store: Store,
  who: JobRequester,
  at: { env: string; app: string; release?: ReleaseRecord },
  checkouts: Checkouts,
): Promise<JobRequester> {
  if (!who.policy.project.apps[at.app]) return who;
  return appRequester(who, at.app, appDeployRun(store, at.env, at.app, at.release), checkouts);
}

/**
 * The app run whose commit a job run of `app` in `env` deploys with: the one that recorded `release` (its
 * pipeline and compose file are those that deployed that digest, and the hooks of its deploy step go with
 * that image), else the newest app run that recorded a release of the app there (a release recorded
 * before the app moved to its own repository has no app run).
 */
function appDeployRun(store: Store, env: string, app: string, release?: ReleaseRecord): RunRecord {
  const ledger = store.releases.list(env, { limit: 10_000 }).filter((r) => r.app === app);
  for (const r of release ? [release, ...ledger] : ledger) {
    const run = r.runId === undefined ? undefined : store.runs.get(r.runId);
    if (run?.app?.name === app) return run;
  }
  throw new Error(
    `no run of app ${app}'s repository recorded a release in ${env}: push an app commit to deploy it first`,
  );
}

/**
 * `who` as the requester of an app run at `run`'s app commit: fetched from the URL slipway.yml in force
 * registers (never one from a request) and loaded under the ops commit in force (the trusted default
 * branch), whose configuration and gates it runs under; every error when it is invalid under it now.
 */
async function appRequester(
  who: JobRequester,
  app: string,
  run: RunRecord,
  checkouts: Checkouts,
): Promise<JobRequester> {
  const { url } = who.policy.project.apps[app]!;
  const root = await checkouts.at(url, `refs/heads/${run.branch}`, run.sha);
  const loaded = await loadAppRepo({ name: app, root }, who.policy.root, {
    ...(who.inventoriesRoot ? { inventoriesRoot: who.inventoriesRoot } : {}),
  });
  if (!loaded.ok) throw new ConfigErrorList(loaded.errors);
  const { authorName, authorEmail } = run;
  return {
    ...who,
    repo: loaded.repo,
    commit: { sha: run.sha, branch: run.branch, authorName, authorEmail },
    appOrigin: { name: app, opsSha: who.policy.sha, opsRoot: loaded.repo.opsRoot ?? who.policy.root },
  };
}
