import * as core from '@actions/core';
import { headCommit } from '../../../src/cli/git-commit.ts';
import { findPipeline, runContextLoader } from '../../../src/cli/run-session.ts';
import { loadRepo } from '../../../src/config/load-repo.ts';
import { createRun } from '../../../src/engine/create-run.ts';
import { errorMessage } from '../../../src/util/errors.ts';
import { continueRefusal, executeAndReport, maskPipelineSecrets } from '../../shared/execution.ts';
import { actionPolicy, actionStore, optionalInput, repoRoot, runIdInput } from '../../shared/inputs.ts';

/**
 * The `slipway/run` action: one run of a pipeline (or job) on the workflow's commit, detached at gates; or,
 * with `run-id`, the continuation of a stored run whose gate was decided meanwhile.
 */
async function main(): Promise<void> {
  const pipelineArg = optionalInput('pipeline');
  const runId = optionalInput('run-id');
  if ((pipelineArg === undefined) === (runId === undefined))
    throw new Error('give either pipeline (to start a run) or run-id (to continue one)');
  if (runId !== undefined) await continueRun(runIdInput('run-id'));
  else await startRun(pipelineArg!);
}

/** Starts a run of `pipelineArg` at the checkout's commit and executes it until it ends or waits. */
async function startRun(pipelineArg: string): Promise<void> {
  const root = repoRoot();
  const inventories = optionalInput('inventories');
  const opts = inventories ? { inventoriesRoot: inventories } : {};
  // The checkout first: its errors become annotations on its own files. Then under the policy in force.
  const checked = await loadRepo(root, opts);
  const source = actionPolicy(root, inventories);
  const policy = checked.ok ? await source.current() : undefined;
  const loaded = policy ? await loadRepo(root, { ...opts, projectFrom: policy.root }) : checked;
  if (!loaded.ok) {
    // One annotation per problem, on its file and line, so the PR shows it where it is.
    for (const e of loaded.errors) {
      core.error(`${e.key ? `${e.key}: ` : ''}${e.message}${e.hint ? ` (${e.hint})` : ''}`, {
        title: 'Slipway configuration',
        file: e.file,
        startLine: e.line,
        startColumn: e.col,
      });
    }
    core.setFailed(`${loaded.errors.length} problem(s) in the ops repository`);
    return;
  }
  const repo = loaded.repo;
  const pipeline = findPipeline(repo, pipelineArg);
  maskPipelineSecrets(pipeline);

  const commit = await headCommit(repo.root);
  // actions/checkout leaves a detached HEAD: the workflow knows the branch.
  if (process.env.GITHUB_REF_NAME && process.env.GITHUB_REF_TYPE !== 'tag')
    commit.branch = process.env.GITHUB_REF_NAME;
  if (process.env.GITHUB_SHA && process.env.GITHUB_SHA !== commit.sha) {
    core.warning(
      `the checkout is at ${commit.sha}, not the workflow's ${process.env.GITHUB_SHA}: running the checkout`,
    );
  }
  const actor = process.env.GITHUB_ACTOR ?? 'actions';
  const job = optionalInput('job');
  const store = actionStore(repo.root);
  try {
    const runId = createRun(store, {
      repo,
      pipeline,
      commit,
      triggeredBy: actor,
      triggerIdentity: {
        channel: process.env.GITEA_ACTIONS === 'true' ? 'gitea' : 'github',
        login: actor,
      },
      channel: 'forge',
      policy: policy!,
      ...(job ? { jobs: [job] } : {}),
      ...(inventories ? { inventoriesRoot: inventories } : {}),
    });
    core.setOutput('run-id', String(runId));
    core.info(`run ${runId}: ${pipeline.pipeline.name} at ${commit.sha.slice(0, 12)} (${commit.branch})`);
    await executeAndReport({ store, runId, source, actor, dashboardUrl: optionalInput('dashboard-url') });
  } finally {
    store.close();
  }
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
    const actor = process.env.GITHUB_ACTOR ?? 'actions';
    core.info(`continuing run ${runId}: ${run.pipeline} at ${run.sha.slice(0, 12)} (${run.branch})`);
    await executeAndReport({ store, runId, source, actor, dashboardUrl: optionalInput('dashboard-url') });
  } finally {
    store.close();
  }
}

main().catch((err: unknown) => core.setFailed(errorMessage(err)));
