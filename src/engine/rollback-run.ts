import {
  type ChosenRelease,
  chooseRelease,
  findDeployJob,
  type RollbackTarget,
} from '../deploy/rollback-target.ts';
import { createJobRun, type JobRequester } from '../engine/create-run.ts';
import type { Store } from '../store/store.ts';

/** Who asks for a rollback, of what, at which checkout. */
export interface RollbackRequest extends JobRequester {
  env: string;
  app?: string;
  /** Release id or digest; default: the release before the live one. */
  release?: string;
  /** The live release again on every host, new containers (`release` is ignored). */
  redeploy?: boolean;
}

/** The app and release a rollback (or redeploy) restores, and the digest live now; throws when there is none. */
export function chooseRollback(store: Store, req: RollbackRequest): ChosenRelease {
  const ledger = store.releases.list(req.env, { limit: 10_000 });
  const live = req.redeploy ? ledger.find((r) => !req.app || r.app === req.app)?.releaseId : undefined;
  return chooseRelease(ledger, req.env, req.app, live ?? req.release);
}

/**
 * Stores a queued rollback (or redeploy) run of the environment's deploy job alone, restoring the recorded release
 * (its digest, compose file and configuration): the job's needs (build, push, earlier environments)
 * already ran for that digest, and its gate still applies. Throws with a message for people when there
 * is nothing to roll back to. `chosen` is `chooseRollback`'s answer when the caller needed it first (an app's commit).
 */
export function createRollbackRun(
  store: Store,
  req: RollbackRequest,
  chosen: ChosenRelease = chooseRollback(store, req),
): { runId: number; target: RollbackTarget } {
  const target: RollbackTarget = { ...chosen, ...findDeployJob(req.repo.pipelines, req.env, chosen.app) };
  const { release } = target;
  const runId = createJobRun(store, req, target.pipeline, target.job, {
    rollback: {
      ledgerId: release.id,
      releaseId: release.releaseId,
      digest: release.digest,
      ...(req.redeploy ? { kind: 'redeploy' as const } : {}),
    },
  });
  return { runId, target };
}
