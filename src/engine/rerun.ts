import type { Identity } from '../approvals/people.ts';
import { pipelineKey, type TrustedPolicy } from '../approvals/trusted-policy.ts';
import type { OpsRepo, PipelineFile } from '../config/types.ts';
import type { Store } from '../store/store.ts';
import type { Channel, JobRecord, RunRecord } from '../store/types.ts';
import { createRun } from './create-run.ts';

/** A re-run asked of a run that cannot be re-run: the message says why and what to do instead. */
export class RerunRefused extends Error {}

/** What a re-run says to people about a run that is not failed, by its status. */
const NOT_FAILED: Record<string, string> = {
  succeeded: 'nothing failed',
  waiting: 'it waits at a gate: decide it (slipway approve/reject), then it goes on',
  queued: 'it has not finished: it goes on by itself or with slipway resume',
  running: 'it has not finished',
  interrupted: 'its runner died mid-step: check the hosts, then slipway resume --retry-interrupted',
  rejected: 'it was rejected at a gate: a re-run would carry nothing over; start a new run',
  canceled: 'it was canceled: start a new run',
  expired: 'its gate expired: start a new run',
};

/**
 * The jobs of a run that a re-run executes: its failed jobs and every job that needs one of them (directly
 * or not), in pipeline order. Jobs that succeeded are not executed again.
 */
export function rerunJobs(jobs: readonly JobRecord[]): string[] {
  const chosen = new Set(jobs.filter((j) => j.status === 'failed').map((j) => j.name));
  for (let grew = true; grew; ) {
    grew = false;
    for (const j of jobs) {
      if (chosen.has(j.name) || j.status === 'succeeded' || !j.needs.some((n) => chosen.has(n))) continue;
      chosen.add(j.name);
      grew = true;
    }
  }
  return jobs.filter((j) => chosen.has(j.name)).map((j) => j.name);
}

/** The failed run `runId` and the jobs a re-run of it executes; refused (with why) for any other run. */
export function failedRun(store: Store, runId: number): { run: RunRecord; jobs: string[] } {
  const run = store.runs.get(runId);
  if (!run) throw new RerunRefused(`there is no run ${runId}`);
  if (run.status !== 'failed') {
    const why = NOT_FAILED[run.status] ?? `it is ${run.status}`;
    throw new RerunRefused(
      `run ${runId} ${run.status}, it did not fail: only the failed jobs of a failed run are re-run (${why})`,
    );
  }
  const jobs = rerunJobs(store.runs.jobs(runId));
  if (jobs.length === 0)
    throw new RerunRefused(`run ${runId} failed before any of its jobs did: start a new run`);
  return { run, jobs };
}

/** The pipeline file of `run` in `repo` (the run's commit checked out); refused when the checkout lacks it. */
export function rerunPipeline(repo: OpsRepo, run: RunRecord): PipelineFile {
  const file = repo.pipelines.find((p) => pipelineKey(repo.root, p.file) === run.pipelineFile);
  if (!file)
    throw new RerunRefused(`run ${run.id} ran ${run.pipelineFile}, which ${repo.root} does not hold`);
  return file;
}

/** Who asks for a re-run of which failed run, and the run's commit as checked out for it. */
export interface RerunRequest {
  runId: number;
  /** The ops repository at the run's commit, under the policy in force (slipway.yml of the default branch). */
  repo: OpsRepo;
  /** The commit checked out where the re-run executes: it must be the run's. */
  checkoutSha: string;
  triggeredBy: string;
  /** Who asks, as the channel saw them: they may not approve a gate that opens again. */
  triggerIdentity?: Identity;
  channel: Channel;
  /** Asked for by a person on a channel that also carries pushes (see RunRequest.byHand). */
  byHand?: boolean;
  /** The policy in force: the run's branch must still be allowed into every environment it deploys to. */
  policy: TrustedPolicy;
}

/**
 * Queues a re-run of a failed run: a new run of the same commit and pipeline, of its failed jobs and what
 * depends on them, starting from the outputs the failed run recorded (the pushed digest: nothing is built
 * again) and refused the way any run is when the policy in force keeps its branch out of an environment.
 * Its gates take over the failed run's approvals where the commit and the plan are unchanged (see the
 * executor). Throws RerunRefused when the run did not fail or the checkout is at another commit.
 */
export function createRerun(
  store: Store,
  req: RerunRequest,
): { runId: number; of: RunRecord; jobs: string[] } {
  const { run, jobs } = failedRun(store, req.runId);
  if (req.checkoutSha !== run.sha) {
    throw new RerunRefused(
      `run ${run.id} deployed commit ${run.sha.slice(0, 12)} (${run.branch}), but the checkout at ` +
        `${req.repo.root} is at ${req.checkoutSha.slice(0, 12)}: check out ${run.sha.slice(0, 12)} to re-run it, ` +
        'or start a new run of this commit',
    );
  }
  const runId = createRun(store, {
    repo: req.repo,
    pipeline: rerunPipeline(req.repo, run),
    commit: { sha: run.sha, branch: run.branch, authorName: run.authorName, authorEmail: run.authorEmail },
    triggeredBy: req.triggeredBy,
    ...(req.triggerIdentity ? { triggerIdentity: req.triggerIdentity } : {}),
    channel: req.channel,
    ...(req.byHand ? { byHand: true } : {}),
    policy: req.policy,
    jobs,
    ...(run.inventoriesRoot ? { inventoriesRoot: run.inventoriesRoot } : {}),
    ...(run.rollback ? { rollback: run.rollback } : {}),
    rerunOf: run.id,
    ...(run.app ? { app: run.app } : {}),
  });
  return { runId, of: run, jobs };
}
