import * as core from '@actions/core';
import { headCommit } from '../../../src/cli/git-commit.ts';
import { findPipeline, runContextLoader } from '../../../src/cli/run-session.ts';
import { loadRepo } from '../../../src/config/load-repo.ts';
import { escapeHtml } from '../../../src/dashboard/views/html.ts';
import { createRun } from '../../../src/engine/create-run.ts';
import { executeRun } from '../../../src/engine/executor.ts';
import { resolveSecrets } from '../../../src/engine/secrets.ts';
import type { RunDetail } from '../../../src/store/types.ts';
import { errorMessage } from '../../../src/util/errors.ts';
import { formatDuration } from '../../../src/util/format.ts';
import { actionPolicy, actionStore, optionalInput, repoRoot } from '../../shared/inputs.ts';

/** The `slipway/run` action: one run of a pipeline (or job) on the workflow's commit, detached at gates. */
async function main(): Promise<void> {
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
  const pipeline = findPipeline(repo, core.getInput('pipeline', { required: true }));
  // Mask before anything could print them: every value the pipeline's secrets resolve to.
  for (const value of resolveSecrets(pipeline.pipeline).values()) core.setSecret(value);

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
    const status = await executeRun({ store, runId, load: runContextLoader(source), actor, detach: true });
    const detail = store.detail(runId)!;
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
  } finally {
    store.close();
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
