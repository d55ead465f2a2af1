import * as core from '@actions/core';
import type { Identity } from '../../../src/approvals/people.ts';
import type { TrustedPolicy } from '../../../src/approvals/trusted-policy.ts';
import { headCommit } from '../../../src/cli/git-commit.ts';
import { findPipeline, runContextLoader } from '../../../src/cli/run-session.ts';
import { loadRepo } from '../../../src/config/load-repo.ts';
import type { OpsRepo, PipelineFile } from '../../../src/config/types.ts';
import { escapeHtml } from '../../../src/dashboard/views/html.ts';
import { createRun } from '../../../src/engine/create-run.ts';
import { executeRun } from '../../../src/engine/executor.ts';
import { createRerun, failedRun, rerunPipeline } from '../../../src/engine/rerun.ts';
import { resolveSecrets } from '../../../src/engine/secrets.ts';
import type { Store } from '../../../src/store/store.ts';
import type { RunDetail, RunStatus } from '../../../src/store/types.ts';
import { errorMessage } from '../../../src/util/errors.ts';
import { formatDuration } from '../../../src/util/format.ts';
import { actionPolicy, actionStore, optionalInput, repoRoot } from '../../shared/inputs.ts';

/**
 * The `slipway/run` action, detached at gates: a run of a pipeline (or job) on the workflow's commit, or with
 * `rerun`, a re-run of a failed run's failed jobs on that run's commit (checked out by the workflow).
 */
async function main(): Promise<void> {
  const root = repoRoot();
  const inventories = optionalInput('inventories');
  const pipelineInput = optionalInput('pipeline');
  const rerunInput = optionalInput('rerun');
  if ((pipelineInput === undefined) === (rerunInput === undefined)) {
    throw new Error(
      'expected either pipeline (a new run) or rerun (the number of a failed run to re-run), ' +
        `got ${pipelineInput === undefined ? 'neither' : 'both'}`,
    );
  }
  const loaded = await loadAnnotated(root, inventories);
  if (!loaded) return;
  const { repo, policy, source } = loaded;
  const queue = { repo, policy, ...(inventories ? { inventoriesRoot: inventories } : {}) };
  const store = actionStore(repo.root);
  try {
    const runId = rerunInput
      ? await queueRerun(store, queue, rerunInput)
      : await queueRun(store, queue, pipelineInput!);
    core.setOutput('run-id', String(runId));
    const status = await executeRun({
      store,
      runId,
      load: runContextLoader(source),
      actor: trigger().login,
      detach: true,
    });
    await report(store.detail(runId)!, status);
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

/** Masks every value a pipeline's secrets resolve to, before anything could print them. */
function maskSecrets(pipeline: PipelineFile): void {
  for (const value of resolveSecrets(pipeline.pipeline).values()) core.setSecret(value);
}

/** Queues a run of the named pipeline (or its `job` input) on the checked-out commit. */
async function queueRun(store: Store, q: Queue, pipelineName: string): Promise<number> {
  const pipeline = findPipeline(q.repo, pipelineName);
  maskSecrets(pipeline);
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
  maskSecrets(rerunPipeline(q.repo, run));
  const by = trigger();
  const rerun = createRerun(store, {
    runId: of,
    repo: q.repo,
    checkoutSha: (await headCommit(q.repo.root)).sha,
    triggeredBy: by.login,
    triggerIdentity: by,
    channel: 'forge',
    policy: q.policy,
  });
  core.info(
    `run ${rerun.runId}: re-run of run ${of} (${rerun.jobs.join(', ')}) at ${run.sha.slice(0, 12)} (${run.branch})`,
  );
  return rerun.runId;
}

/** The outputs, the summary, and a notice or failure for the run's status. */
async function report(detail: RunDetail, status: RunStatus): Promise<void> {
  const runId = detail.run.id;
  core.setOutput('status', status);
  core.setOutput('image-digest', detail.outputs['image.digest'] ?? '');
  await writeSummary(detail, optionalInput('dashboard-url'));
  if (status === 'waiting') {
    const gates = detail.gates.filter((g) => g.status === 'pending').map((g) => g.job);
    core.notice(
      `run ${runId} waits for approval of ${gates.join(', ')}: approve with slipway/approve (run-id ${runId})`,
    );
  } else if (status !== 'succeeded') {
    core.setFailed(`run ${runId} ${status}${detail.run.reason ? `: ${detail.run.reason}` : ''}`);
  }
}

/** The job summary: one row per job with its hosts, status, duration and a link. */
async function writeSummary(d: RunDetail, dashboardUrl?: string): Promise<void> {
  const env = process.env;
  const link =
    dashboardUrl !== undefined
      ? `${dashboardUrl.replace(/\/+$/, '')}/runs/${d.run.id}`
      : env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID
        ? `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`
        : undefined;
  const rows = d.jobs.map((j) => {
    const hosts = [...new Set(d.hosts.filter((h) => h.job === j.name).map((h) => `${h.host} (${h.status})`))];
    return [
      j.name,
      hosts.join(', ') || (j.environment ? j.environment : 'runner'),
      j.status + (j.reason ? `: ${j.reason}` : ''),
      j.startedAt && j.finishedAt ? formatDuration(j.finishedAt - j.startedAt) : '',
      link ? `<a href="${link}">run ${d.run.id}</a>` : `run ${d.run.id}`,
    ];
  });
  await core.summary
    .addHeading(`Slipway: ${d.run.pipeline} run ${d.run.id} ${d.run.status}`, 3)
    .addRaw(`Commit <code>${d.run.sha.slice(0, 12)}</code> on ${escapeHtml(d.run.branch)}`, true)
    .addTable([
      [
        { data: 'Job', header: true },
        { data: 'Hosts', header: true },
        { data: 'Status', header: true },
        { data: 'Duration', header: true },
        { data: 'Link', header: true },
      ],
      ...rows.map((r) => r.map((cell, i) => (i === 4 ? cell : escapeHtml(cell)))),
    ])
    .write();
}

main().catch((err: unknown) => core.setFailed(errorMessage(err)));
