import * as core from '@actions/core';
import type { Identity } from '../../../src/approvals/people.ts';
import type { PolicySource } from '../../../src/approvals/policy-source.ts';
import type { TrustedPolicy } from '../../../src/approvals/trusted-policy.ts';
import { headCommit } from '../../../src/cli/git-commit.ts';
import { findPipeline, runContextLoader } from '../../../src/cli/run-session.ts';
import { loadRepo } from '../../../src/config/load-repo.ts';
import type { OpsRepo } from '../../../src/config/types.ts';
import { createRun } from '../../../src/engine/create-run.ts';
import { createRerun, failedRun, rerunPipeline } from '../../../src/engine/rerun.ts';
import type { Store } from '../../../src/store/store.ts';
import { errorMessage } from '../../../src/util/errors.ts';
import { continueRefusal, executeAndReport, maskPipelineSecrets } from '../../shared/execution.ts';
import { actionPolicy, actionStore, optionalInput, repoRoot, runIdInput } from '../../shared/inputs.ts';

/**
 * The `slipway/run` action, detached at gates: a run of a pipeline (or job) on the workflow's commit; with
 * `rerun`, a re-run of a failed run's failed jobs on that run's commit (checked out by the workflow); with
 * `run-id`, the continuation of a stored run whose gate was decided meanwhile.
 */
async function main(): Promise<void> {
  const given = (['pipeline', 'rerun', 'run-id'] as const).filter(
    (name) => optionalInput(name) !== undefined,
  );
  if (given.length !== 1) {
    throw new Error(
      'expected one of pipeline (a new run), rerun (the number of a failed run to re-run) or run-id ' +
        `(a stored run to continue), got ${given.length ? given.join(' and ') : 'none'}`,
    );
  }
  if (given[0] === 'run-id') await continueRun(runIdInput('run-id'));
  else await startRun();
}

/** Starts a run (or a re-run) at the checkout's commit and executes it until it ends or waits. */
async function startRun(): Promise<void> {
  const inventories = optionalInput('inventories');
  const loaded = await loadAnnotated(repoRoot(), inventories);
  if (!loaded) return;
  const { repo, policy, source } = loaded;
  const queue = { repo, policy, ...(inventories ? { inventoriesRoot: inventories } : {}) };
  const store = actionStore(repo.root);
  try {
    const rerunInput = optionalInput('rerun');
    const runId = rerunInput
      ? await queueRerun(store, queue, rerunInput)
      : await queueRun(store, queue, optionalInput('pipeline')!);
    core.setOutput('run-id', String(runId));
    await execute(store, runId, source);
  } finally {
    store.close();
  }
}

/** Executes run `runId` in this job on behalf of the workflow's trigger, and reports it. */
function execute(store: Store, runId: number, source: PolicySource) {
  return executeAndReport({
    store,
    runId,
    source,
    actor: trigger().login,
    dashboardUrl: optionalInput('dashboard-url'),
  });
}

/** Continues stored run `runId` in this job (after its gate was decided), in the checkout it started in. */
async function continueRun(runId: number): Promise<void> {
  const root = repoRoot();
  const store = actionStore(root);
  try {
    const run = store.runs.get(runId);
    if (!run) throw new Error(`run-id: there is no run ${runId} in the state store`);
    core.setOutput('run-id', String(runId));
    const refusal = await continueRefusal(run);
    if (refusal) throw new Error(`run ${runId} not continued: ${refusal}`);
    const source = actionPolicy(root, optionalInput('inventories'));
    maskPipelineSecrets((await runContextLoader(source)(run)).pipeline);
    core.info(`continuing run ${runId}: ${run.pipeline} at ${run.sha.slice(0, 12)} (${run.branch})`);
    await execute(store, runId, source);
  } finally {
    store.close();
  }
}

/**
 * The checkout under the policy in force, or undefined after failing the step with one annotation per
 * problem, on its file and line (the checkout is checked first, so its errors point at its own files).
 */
async function loadAnnotated(root: string, inventories: string | undefined) {
  const opts = inventories ? { inventoriesRoot: inventories } : {};
  const checked = await loadRepo(root, opts);
  const source = actionPolicy(root, inventories);
  const policy = checked.ok ? await source.current() : undefined;
  const loaded = policy ? await loadRepo(root, { ...opts, projectFrom: policy.root }) : checked;
  if (loaded.ok) return { repo: loaded.repo, policy: policy!, source };
  for (const e of loaded.errors) {
    core.error(`${e.key ? `${e.key}: ` : ''}${e.message}${e.hint ? ` (${e.hint})` : ''}`, {
      title: 'Slipway configuration',
      file: e.file,
      startLine: e.line,
      startColumn: e.col,
    });
  }
  core.setFailed(`${loaded.errors.length} problem(s) in the ops repository`);
  return undefined;
}

/** What a run is queued from: the checkout under the policy in force. */
interface Queue {
  repo: OpsRepo;
  policy: TrustedPolicy;
  inventoriesRoot?: string;
}

/**
 * Who starts the run: whoever triggered the workflow run (a re-run of a workflow keeps GITHUB_ACTOR but
 * names its own GITHUB_TRIGGERING_ACTOR); they may not approve it.
 */
function trigger(): Identity {
  const login = process.env.GITHUB_TRIGGERING_ACTOR || process.env.GITHUB_ACTOR || 'actions';
  return { channel: process.env.GITEA_ACTIONS === 'true' ? 'gitea' : 'github', login };
}

/**
 * A workflow a person dispatched (or an API call did) or re-ran is a start by hand: `on.manual` and the
 * environments' `run_by` apply to it as to `slipway run`. A push's first attempt is not.
 */
function startedByHand(): boolean {
  const event = process.env.GITHUB_EVENT_NAME ?? '';
  return (
    event === 'workflow_dispatch' ||
    event === 'repository_dispatch' ||
    Number(process.env.GITHUB_RUN_ATTEMPT ?? '1') > 1
  );
}

/** Queues a run of the named pipeline (or its `job` input) on the checked-out commit. */
async function queueRun(store: Store, q: Queue, pipelineName: string): Promise<number> {
  const pipeline = findPipeline(q.repo, pipelineName);
  maskPipelineSecrets(pipeline);
  const commit = await headCommit(q.repo.root);
  // actions/checkout leaves a detached HEAD: the workflow knows the branch.
  if (process.env.GITHUB_REF_NAME && process.env.GITHUB_REF_TYPE !== 'tag')
    commit.branch = process.env.GITHUB_REF_NAME;
  if (process.env.GITHUB_SHA && process.env.GITHUB_SHA !== commit.sha) {
    core.warning(
      `the checkout is at ${commit.sha}, not the workflow's ${process.env.GITHUB_SHA}: running the checkout`,
    );
  }
  const job = optionalInput('job');
  const by = trigger();
  const runId = createRun(store, {
    repo: q.repo,
    pipeline,
    commit,
    triggeredBy: by.login,
    triggerIdentity: by,
    channel: 'forge',
    byHand: startedByHand(),
    policy: q.policy,
    ...(job ? { jobs: [job] } : {}),
    ...(q.inventoriesRoot ? { inventoriesRoot: q.inventoriesRoot } : {}),
  });
  core.info(`run ${runId}: ${pipeline.pipeline.name} at ${commit.sha.slice(0, 12)} (${commit.branch})`);
  return runId;
}

/** Queues a re-run of failed run `input`: its commit must be the one checked out. */
async function queueRerun(store: Store, q: Queue, input: string): Promise<number> {
  const of = Number(input);
  if (!Number.isInteger(of) || of <= 0)
    throw new Error(`rerun: expected a run number, got ${JSON.stringify(input)}`);
  const { run } = failedRun(store, of);
  maskPipelineSecrets(rerunPipeline(q.repo, run));
  const by = trigger();
  const rerun = createRerun(store, {
    runId: of,
    repo: q.repo,
    checkoutSha: (await headCommit(q.repo.root)).sha,
    triggeredBy: by.login,
    triggerIdentity: by,
    channel: 'forge',
    byHand: startedByHand(),
    policy: q.policy,
  });
  core.info(
    `run ${rerun.runId}: re-run of run ${of} (${rerun.jobs.join(', ')}) at ${run.sha.slice(0, 12)} (${run.branch})`,
  );
  return rerun.runId;
}

main().catch((err: unknown) => core.setFailed(errorMessage(err)));
