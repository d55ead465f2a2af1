import { relative, resolve } from 'node:path';
import { type Identity, identityText } from '../approvals/people.ts';
import { startRefusal } from '../approvals/starters.ts';
import { branchRefusal, type TrustedPolicy } from '../approvals/trusted-policy.ts';
import type { OpsRepo, PipelineFile } from '../config/types.ts';
import { stepKind, stepName } from '../steps/kinds/index.ts';
import type { Store } from '../store/store.ts';
import type { AppOrigin, Channel, RollbackOf } from '../store/types.ts';
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
  /** Who started it as the channel saw them: self-approval is refused to that person. */
  triggerIdentity?: Identity;
  channel: Channel;
  /**
   * Started by a person's own act on a channel that also carries pushes (a workflow dispatched or re-run by
   * hand in Actions): refused like a start on the CLI or the dashboard (`on.manual`, `run_by`).
   */
  byHand?: boolean;
  /** The policy in force: the run's branch must be allowed into every environment it deploys to. */
  policy: TrustedPolicy;
  /** Run only these jobs (and what they need; for a rollback, these jobs alone). */
  jobs?: readonly string[];
  inventoriesRoot?: string;
  /**
   * Makes the run a rollback to this recorded release: its deploy restores the release's digest
   * instead of one a push records, so `jobs` run alone (their needs already ran for that digest).
   */
  rollback?: RollbackOf;
  /** Makes the run a restore of this backup (its ledger id): `jobs` run alone, their deploy restores it. */
  restoreBackup?: number;
  /**
   * Makes the run a re-run of this failed run: `jobs` run alone (what they need succeeded there), starting
   * from the outputs it recorded (the pushed digest).
   */
  rerunOf?: number;
  /** Set for a run of an app repository: the app and the ops commit (and tree, `repo.opsRoot`) it runs under. */
  app?: AppOrigin;
}

/**
 * Who asks for a run of one job alone (a rollback, a restore), from which checkout, under which policy; for a
 * registered app, `repo` and `commit` are the app's and `appOrigin` the ops commit it runs under.
 */
export type JobRequester = Pick<
  RunRequest,
  'repo' | 'commit' | 'triggeredBy' | 'triggerIdentity' | 'channel' | 'byHand' | 'policy' | 'inventoriesRoot'
> & { appOrigin?: AppOrigin };

/** Stores a queued run of one job of `pipeline` alone, marked as a rollback or a restore. */
export function createJobRun(
  store: Store,
  who: JobRequester,
  pipeline: PipelineFile,
  job: string,
  mark: Pick<RunRequest, 'rollback'> | Pick<RunRequest, 'restoreBackup'>,
): number {
  return createRun(store, {
    repo: who.repo,
    commit: who.commit,
    triggeredBy: who.triggeredBy,
    ...(who.triggerIdentity ? { triggerIdentity: who.triggerIdentity } : {}),
    policy: who.policy,
    channel: who.channel,
    ...(who.inventoriesRoot ? { inventoriesRoot: who.inventoriesRoot } : {}),
    ...(who.appOrigin ? { app: who.appOrigin } : {}),
    pipeline,
    jobs: [job],
    ...mark,
  });
}

/** A rollback, restore or re-run runs the jobs it names alone: what they need already ran. */
const alone = (req: RunRequest) =>
  req.rollback !== undefined || req.restoreBackup !== undefined || req.rerunOf !== undefined;

/** A new run's record of what it runs and who started it from which checkout. */
function runOrigin(req: RunRequest) {
  const { pipeline } = req;
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
    triggerIdentity: req.triggerIdentity && identityText(req.triggerIdentity),
    channel: req.channel,
    ...(req.rollback ? { rollback: req.rollback } : {}),
    ...(req.restoreBackup !== undefined ? { restoreBackup: req.restoreBackup } : {}),
    ...(req.rerunOf === undefined ? {} : { rerunOf: req.rerunOf }),
    ...(req.app ? { app: req.app } : {}),
  };
}

/**
 * Stores a new queued run and puts it in the lock queue of every environment it deploys to, so runs on
 * one environment take turns in the order they were started.
 */
export function createRun(store: Store, req: RunRequest): number {
  const { pipeline } = req.pipeline;
  const names = alone(req) ? [...(req.jobs ?? [])] : selectJobs(pipeline, req.jobs);
  for (const name of names) {
    if (!pipeline.jobs[name]) throw new Error(`${req.pipeline.file}: no job ${name}`);
  }
  const envs = names.flatMap((n) => pipeline.jobs[n]!.environment ?? []);
  refuseBranch(req.policy, req.commit.branch, envs);
  refuseStarter(req, envs);
  return store.transaction(() => {
    const runId = store.runs.create({
      ...runOrigin(req),
      jobs: names.map((name) => {
        const job = pipeline.jobs[name]!;
        return {
          name,
          // Jobs that run alone need only each other: their other needs ran for the digest they deploy.
          needs: job.needs.filter((n) => names.includes(n)),
          environment: job.environment,
          steps: job.steps.map((s) => ({ kind: stepKind(s), name: stepName(s) })),
        };
      }),
    });
    store.locks.enqueue(runId, envs);
    return runId;
  });
}

/**
 * Throws when a run started by hand (CLI, dashboard, `byHand`) may not be: a pipeline with `on.manual: false` (a
 * rollback, redeploy, restore or re-run repeats what its trigger started and is not refused for it), or a
 * person `run_by` does not name.
 */
function refuseStarter(req: RunRequest, envs: readonly string[]): void {
  if (req.channel !== 'cli' && req.channel !== 'dashboard' && !req.byHand) return;
  const { pipeline, file } = req.pipeline;
  if (!alone(req) && !pipeline.on.manual)
    throw new Error(`${file}: pipeline ${pipeline.name} is not started by hand (on.manual: false)`);
  if (!req.triggerIdentity) return;
  const refusals = [...new Set(envs)].flatMap(
    (env) => startRefusal(req.policy, req.triggerIdentity!, env) ?? [],
  );
  if (refusals.length) throw new Error(refusals.join('; '));
}

/** Throws when `branch` may not deploy to one of `envs` under the trusted policy (checked again before each job). */
export function refuseBranch(policy: TrustedPolicy, branch: string, envs: readonly string[]): void {
  const refusals = [...new Set(envs)].flatMap((env) => branchRefusal(policy, branch, env) ?? []);
  if (refusals.length) throw new Error(refusals.join('; '));
}
