import { relative, resolve } from 'node:path';
import type { OpsRepo, PipelineFile } from '../config/types.ts';
import { stepKind, stepName } from '../steps/kinds/index.ts';
import type { Store } from '../store/store.ts';
import type { Channel } from '../store/types.ts';
import { selectJobs } from './dag.ts';

/** The commit a run deploys. */
export interface Commit {
  sha: string;
  branch: string;
  authorName?: string;
  authorEmail?: string;
}

/** What starts a run. */
export interface RunRequest {
  repo: OpsRepo;
  pipeline: PipelineFile;
  commit: Commit;
  triggeredBy: string;
  channel: Channel;
  /** Run only these jobs (and what they need). */
  jobs?: readonly string[];
  inventoriesRoot?: string;
}

/** A new run's record of what it runs and who started it from which checkout. */
export function runOrigin(req: Omit<RunRequest, 'pipeline' | 'jobs'>, pipeline: PipelineFile) {
  return {
    pipeline: pipeline.pipeline.name,
    pipelineFile: relative(req.repo.root, resolve(req.repo.root, pipeline.file)),
    repoRoot: req.repo.root,
    inventoriesRoot: req.inventoriesRoot,
    sha: req.commit.sha,
    branch: req.commit.branch,
    authorName: req.commit.authorName,
    authorEmail: req.commit.authorEmail,
    triggeredBy: req.triggeredBy,
    channel: req.channel,
  };
}

/**
 * Stores a new queued run and puts it in the lock queue of every environment it deploys to, so runs on
 * one environment take turns in the order they were started.
 */
export function createRun(store: Store, req: RunRequest): number {
  const { pipeline } = req.pipeline;
  const names = selectJobs(pipeline, req.jobs);
  return store.transaction(() => {
    const runId = store.runs.create({
      ...runOrigin(req, req.pipeline),
      jobs: names.map((name) => {
        const job = pipeline.jobs[name]!;
        return {
          name,
          needs: job.needs,
          environment: job.environment,
          steps: job.steps.map((s) => ({ kind: stepKind(s), name: stepName(s) })),
        };
      }),
    });
    const envs = names.flatMap((n) => pipeline.jobs[n]!.environment ?? []);
    store.locks.enqueue(runId, envs);
    return runId;
  });
}
