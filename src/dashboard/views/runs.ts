import { elapsed, formatDuration, formatTime, shortSha } from '../../util/format.ts';
import { durationBar } from './bars.ts';
import { type Html, html } from './html.ts';
import { page, type Viewer } from './layout.ts';
import type { RunFilter, RunRow } from './model.ts';

/** Statuses offered in the filter; the store may know more, which still show in the table. */
export const RUN_STATUSES = [
  'queued',
  'running',
  'waiting',
  'succeeded',
  'failed',
  'rejected',
  'canceled',
  'expired',
];

function filterForm(filter: RunFilter, pipelines: readonly string[]): Html {
  const option = (value: string, selected: string | undefined) =>
    html`<option value="${value}"${value === selected ? html` selected` : ''}>${value || 'any'}</option>`;
  return html`<form class="filters" method="get" action="/">
<label>Pipeline <select name="pipeline">${['', ...pipelines].map((p) => option(p, filter.pipeline ?? ''))}</select></label>
<label>Status <select name="status">${['', ...RUN_STATUSES].map((s) => option(s, filter.status ?? ''))}</select></label>
<label>Branch <input name="branch" value="${filter.branch ?? ''}" size="12"></label>
<label>Triggered by <input name="triggeredBy" value="${filter.triggeredBy ?? ''}" size="10"></label>
<button>Filter</button> <a href="/">clear</a></form>`;
}

/** The runs list: newest first, filterable, with a duration bar per run; `next` links to older runs. */
export function runsPage(opts: {
  viewer: Viewer;
  runs: readonly RunRow[];
  filter: RunFilter;
  pipelines: readonly string[];
  next?: string;
  now: number;
}): Html {
  const durations = opts.runs.map((r) => elapsed(r.startedAt, r.finishedAt, opts.now) ?? 0);
  const max = Math.max(0, ...durations);
  const rows = opts.runs.map((r, i) => {
    const d = elapsed(r.startedAt, r.finishedAt, opts.now);
    return html`<tr class="run" data-status="${r.status}"><td><a href="/runs/${r.id}">${r.id}</a></td><td>${r.pipeline}${r.rollbackTo ? html` <span class="rollback">${r.redeploy ? 'redeploy of' : 'rollback to'} ${r.rollbackTo}</span>` : ''}${r.rerunOf ? html` <span class="rerun">re-run of ${r.rerunOf}</span>` : ''}</td>
<td><code>${shortSha(r.sha)}</code> ${r.branch}</td><td>${r.triggeredBy}</td><td><span class="badge st-${r.status}">${r.status}</span></td>
<td class="dur">${d === undefined ? '' : html`${durationBar(durations[i]!, max, r.status)} ${formatDuration(d)}`}</td><td>${formatTime(r.createdAt)}</td></tr>`;
  });
  const body = html`<h1>Runs</h1>${filterForm(opts.filter, opts.pipelines)}
<table class="runs"><thead><tr><th>Run</th><th>Pipeline</th><th>Commit</th><th>Triggered by</th><th>Status</th><th>Duration</th><th>Created</th></tr></thead>
<tbody>${rows.length ? rows : html`<tr><td colspan="7" class="empty">No runs match.</td></tr>`}</tbody></table>
${opts.next ? html`<p><a rel="next" href="${opts.next}">Older runs →</a></p>` : ''}`;
  return page({ title: 'Runs', viewer: opts.viewer, active: '/', body });
}
