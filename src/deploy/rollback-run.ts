import type { OpsRepo } from '../config/types.ts';
import { runOrigin } from '../engine/create-run.ts';
import { DIGEST_OVERRIDE } from '../steps/deploy.ts';
import { stepKind, stepName } from '../steps/kinds/index.ts';
import type { Store } from '../store/store.ts';
import type { Channel } from '../store/types.ts';
import { chooseRelease, findDeployJob, type RollbackTarget } from './rollback-target.ts';

/** Who asks for a rollback, of what, at which checkout. */
export interface RollbackRequest {
  repo: OpsRepo;
  env: string;
  app?: string;
  /** Release id or digest; default: the release before the live one. */
  release?: string;
  commit: { sha: string; branch: string; authorName?: string; authorEmail?: string };
  triggeredBy: string;
  channel: Channel;
  inventoriesRoot?: string;
}

/**
 * Stores a queued run of the environment's deploy job alone, with the recorded digest as its image: its
 * needs (build, push, earlier environments) already ran for that digest, and its gate still applies.
 * Throws with a message for people when there is nothing to roll back to.
 */
export function createRollbackRun(
  store: Store,
  req: RollbackRequest,
): { runId: number; target: RollbackTarget } {
  const chosen = chooseRelease(
    store.releases.list(req.env, { limit: 10_000 }),
    req.env,
    req.app,
    req.release,
  );
  const target: RollbackTarget = { ...chosen, ...findDeployJob(req.repo.pipelines, req.env, chosen.app) };
  const { pipeline, job } = target;
  const runId = store.transaction(() => {
    const id = store.runs.create({
      ...runOrigin(req, pipeline),
      jobs: [
        {
          name: job,
          needs: [],
          environment: req.env,
          steps: pipeline.pipeline.jobs[job]!.steps.map((s) => ({ kind: stepKind(s), name: stepName(s) })),
        },
      ],
    });
    store.runs.setOutput(id, DIGEST_OVERRIDE, target.release.digest);
    store.locks.enqueue(id, [req.env]);
    return id;
  });
  return { runId, target };
}
