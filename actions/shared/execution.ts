import * as core from '@actions/core';
import type { PolicySource } from '../../src/approvals/policy-source.ts';
import { runContextLoader } from '../../src/cli/run-session.ts';
import type { PipelineFile } from '../../src/config/types.ts';
import { escapeHtml } from '../../src/dashboard/views/html.ts';
import { executeRun } from '../../src/engine/executor.ts';
import { resolveSecrets } from '../../src/engine/secrets.ts';
import type { Store } from '../../src/store/store.ts';
import type { RunDetail, RunRecord, RunStatus } from '../../src/store/types.ts';
import { headSha } from '../../src/triggers/checkout.ts';
import { formatDuration } from '../../src/util/format.ts';

/** Masks (`setSecret`) every value the pipeline's secrets resolve to, before anything could print one. */
export function maskPipelineSecrets(pipeline: PipelineFile): void {
  for (const value of resolveSecrets(pipeline.pipeline).values()) core.setSecret(value);
}

/**
 * Why this job may not continue a stored run, if it may not: the run executes in the checkout it was started
 * in (`repoRoot`), which must hold the run's commit, or the approval would apply to other files.
 */
export async function continueRefusal(run: RunRecord): Promise<string | undefined> {
  const head = await headSha(run.repoRoot);
  if (head === run.sha) return undefined;
  const found = head ? `holds ${head}` : 'is no Git checkout';
  return (
    `${run.repoRoot} ${found}, not the run's commit ${run.sha}: check that commit out at that path ` +
    `(actions/checkout with ref: ${run.sha} and fetch-depth: 0), then continue with actions/run and run-id: ${run.id}`
  );
}

/** What executing a run in this job needs. */
export interface ActionExecution {
  store: Store;
  runId: number;
  source: PolicySource;
  /** The workflow's actor, recorded as who executed it. */
  actor: string;
  dashboardUrl?: string | undefined;
  /** End statuses that do not fail the step besides succeeded, waiting and queued (a reject's `rejected`). */
  expected?: RunStatus[];
}

/**
 * Executes or continues a run in this job (parked at gates, set aside behind a lock) and reports it: outputs
 * `status` and `image-digest`, the job summary, a notice naming what it waits for, or the step failed.
 */
export async function executeAndReport(x: ActionExecution): Promise<RunStatus> {
  const { store, runId } = x;
  const run = store.runs.get(runId)!;
  const status = await executeRun({
    store,
    runId,
    load: runContextLoader(x.source),
    actor: x.actor,
    detach: true,
    // A checkout moved since the gate voids its approval instead of running other files under it.
    checkoutSha: () => headSha(run.repoRoot),
  });
  const detail = store.detail(runId)!;
  core.setOutput('status', status);
  core.setOutput('image-digest', detail.outputs['image.digest'] ?? '');
  await writeSummary(detail, x.dashboardUrl);
  if (status === 'waiting') {
    const gates = detail.gates.filter((g) => g.status === 'pending').map((g) => g.job);
    core.notice(
      `run ${runId} waits for approval of ${gates.join(', ')}: approve with slipway/approve (run-id ${runId}), ` +
        `which continues it in a checkout of ${run.sha}`,
    );
  } else if (status === 'queued') {
    core.notice(
      `run ${runId} waits for another run's environment lock: continue it with slipway/run and run-id: ${runId}`,
    );
  } else if (status !== 'succeeded' && !x.expected?.includes(status)) {
    core.setFailed(`run ${runId} ${status}${detail.run.reason ? `: ${detail.run.reason}` : ''}`);
  }
  return status;
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
      // The summary writer leaves the tag of an empty cell open (`<td><td>`): an empty cell shows a dash.
      ...rows.map((r) => r.map((cell, i) => (i === 4 ? cell : escapeHtml(cell) || '—'))),
    ])
    .write();
}
