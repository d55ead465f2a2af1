import { elapsed, formatDuration, formatTime, shortSha } from '../../util/format.ts';
import { timeline } from './bars.ts';
import { gateView } from './gate.ts';
import { renderJobGraph } from './graph.ts';
import { type Html, html } from './html.ts';
import { csrfField, page, type Viewer } from './layout.ts';
import type { JobView, LogLine, RunDetail } from './model.ts';

/** Run statuses after which nothing changes any more, so the page stops following. */
export const FINAL_RUN_STATUSES = new Set(['succeeded', 'failed', 'rejected', 'canceled', 'expired']);

/** One log line as the log pane shows it; the live script renders the same shape client-side. */
export function logLine(l: LogLine): Html {
  const where = [l.job, l.host].filter(Boolean).join(' ');
  return html`<span class="ln ${l.stream}" data-id="${l.id}">${where ? html`<b>[${where}]</b> ` : ''}${l.line}</span>\n`;
}

function jobSection(job: JobView, viewer: Viewer, now: number): Html {
  const d = elapsed(job.startedAt, job.finishedAt, now);
  return html`<section class="job" id="job-${job.name}" data-job="${job.name}" data-status="${job.status}">
<h3>${job.name} <span class="badge st-${job.status}">${job.status}</span>${job.environment ? html` <span class="env">env ${job.environment}</span>` : ''}${d === undefined ? '' : html` <span class="dur">${formatDuration(d)}</span>`}</h3>
${job.hosts.length ? html`<ul class="hosts">${job.hosts.map((h) => html`<li class="chip st-${h.status}" title="${h.detail ?? h.status}" data-host="${h.host}">${h.host} <small>${h.status}</small></li>`)}</ul>` : ''}
${job.gate ? gateView(job.gate, viewer) : ''}</section>`;
}

/**
 * The re-run button of a failed run: a new run of the same commit for its failed jobs and what needs them,
 * from its digest, keeping an approval where the plan is unchanged.
 */
function rerunForm(run: RunDetail, viewer: Viewer): Html {
  return html`<form method="post" action="/runs/${run.id}/rerun" class="rerun-form">${csrfField(viewer)}<button class="btn-rerun" title="A new run of commit ${shortSha(run.sha)}: the failed jobs and the jobs that need them, nothing rebuilt; a gate keeps its approval when the plan is unchanged">Re-run failed jobs</button></form>`;
}

/** The part of the run page that changes while the run goes on; the live script swaps it in place. */
export function runLive(run: RunDetail, viewer: Viewer, now: number): Html {
  const spans = run.jobs.flatMap((j) =>
    j.startedAt === undefined
      ? []
      : [{ label: j.name, status: j.status, start: j.startedAt, end: j.finishedAt ?? now }],
  );
  const d = elapsed(run.startedAt, run.finishedAt, now);
  return html`<div id="live" data-run="${run.id}" data-status="${run.status}" data-version="${run.version}">
<p class="run-meta"><span class="badge st-${run.status}" id="run-status">${run.status}</span> ${run.pipeline}${run.rollbackTo ? html` · <strong class="rollback">${run.redeploy ? 'redeploy of' : 'rollback to'} release ${run.rollbackTo}</strong>` : ''}${run.rerunOf ? html` · <strong class="rerun">re-run of <a href="/runs/${run.rerunOf}">run ${run.rerunOf}</a></strong>` : ''} · ${run.app ? html`app ${run.app.name} commit` : 'commit'} <code>${shortSha(run.sha)}</code> on ${run.branch}${run.app ? html` · ops commit <code id="ops-sha">${shortSha(run.app.opsSha)}</code>` : ''} · triggered by ${run.triggeredBy} · ${formatTime(run.createdAt)}${d === undefined ? '' : html` · ${formatDuration(d)}`}</p>
${run.error ? html`<p class="error">${run.error}</p>` : ''}
${run.canRerun ? rerunForm(run, viewer) : ''}
${renderJobGraph(run.jobs.map((j) => ({ name: j.name, needs: j.needs, status: j.status, gated: j.gate !== undefined })))}
${timeline(spans)}
${run.jobs.map((j) => jobSection(j, viewer, now))}</div>`;
}

/** The run page: live part, then the log pane that follows the run over server-sent events. */
export function runPage(opts: { viewer: Viewer; run: RunDetail; now: number }): Html {
  const { run } = opts;
  const cursor = run.logs.at(-1)?.id ?? 0;
  const follow = !FINAL_RUN_STATUSES.has(run.status);
  const body = html`<h1>Run ${run.id}</h1>
${runLive(run, opts.viewer, opts.now)}
<section class="logs"><h2>Log</h2><pre id="log" data-events="/runs/${run.id}/events" data-cursor="${cursor}" data-follow="${follow ? '1' : '0'}">${run.logs.map(logLine)}</pre></section>`;
  return page({ title: `Run ${run.id}`, viewer: opts.viewer, body, script: true });
}
