import { formatTime, shortSha } from '../../util/format.ts';
import { type Html, html } from './html.ts';
import { csrfField, page, type Viewer } from './layout.ts';
import type { AppHostRow, DriftView, EnvironmentSummary, EnvironmentView } from './model.ts';

const at = (ms: number | undefined) => (ms === undefined ? '' : formatTime(ms));

/** The drift badge: in sync, drift with its count, or a failed check; nothing when never checked. */
export function driftBadge(d: DriftView | undefined): Html {
  if (!d) return html`<span class="badge drift-none">no drift check</span>`;
  const text =
    d.status === 'clean' ? 'in sync' : d.status === 'drift' ? `drift: ${d.changes}` : 'check failed';
  return html`<span class="badge drift-${d.status}" title="${d.pipeline} at ${at(d.at)}">${text}</span>`;
}

/** Environments with their drift badges. */
export function environmentsPage(viewer: Viewer, envs: readonly EnvironmentSummary[]): Html {
  const body = html`<h1>Environments</h1><ul class="environments">${envs.map(
    (e) =>
      html`<li data-env="${e.name}"><a href="/environments/${encodeURIComponent(e.name)}">${e.name}</a> ${driftBadge(e.drift)}</li>`,
  )}</ul>${envs.length ? '' : html`<p class="empty">No environments in slipway.yml.</p>`}`;
  return page({ title: 'Environments', viewer, active: '/environments', body });
}

function appRow(r: AppHostRow): Html {
  const services = r.services.map(
    (s) =>
      html`<span class="svc" data-state="${s.state}">${s.service}: ${s.state}${s.since ? html` since ${at(s.since)}` : ''}</span>`,
  );
  return html`<tr data-app="${r.app}" data-host="${r.host}"><td>${r.app}</td><td>${r.host}</td><td>${r.release ?? ''}</td>
<td>${r.digest ? html`<code title="${r.digest}">${r.digest.replace(/^sha256:/, '').slice(0, 12)}</code>` : ''}</td>
<td><span class="badge health-${r.health.replace(/ /g, '-')}">${r.health}</span>${r.error ? html` <span class="error">${r.error}</span>` : ''}</td>
<td>${at(r.since)}</td><td>${services}</td></tr>`;
}

function driftSection(drift: readonly DriftView[]): Html {
  if (drift.length === 0)
    return html`<p class="empty">No drift check recorded: add <code>on.schedule</code> with <code>mode: plan</code> to a pipeline.</p>`;
  return html`${drift.map(
    (
      d,
    ) => html`<div class="drift" data-pipeline="${d.pipeline}"><p>${driftBadge(d)} <strong>${d.pipeline}</strong> at ${at(d.at)} UTC, ${d.branch} <code>${shortSha(d.sha)}</code>${d.reason ? html`: <span class="error">${d.reason}</span>` : ''}</p>
${d.lines.length ? html`<ul class="changes">${d.lines.map((l) => html`<li>${l}</li>`)}</ul>` : ''}</div>`,
  )}`;
}

function actions(
  viewer: Viewer,
  v: EnvironmentView,
  can: { run: boolean; redeploy: boolean; rollback: boolean },
): Html {
  if (!v.canStart) return html`<p class="no-start">${v.refusal ?? 'You may not start runs here.'}</p>`;
  const env = encodeURIComponent(v.name);
  const run =
    can.run && v.pipelines.length
      ? html`<form method="post" action="/environments/${env}/run" class="start-run">${csrfField(viewer)}
<label>Pipeline <select name="pipeline">${v.pipelines.map((p) => html`<option value="${p}">${p}</option>`)}</select></label>
<button class="btn-run">Run</button></form>`
      : '';
  const perApp = v.releasedApps.map((app) => {
    const base = `/environments/${env}/apps/${encodeURIComponent(app)}`;
    return html`<div class="app-actions" data-app="${app}">${
      can.redeploy
        ? html`<form method="post" action="${base}/redeploy">${csrfField(viewer)}<button class="btn-redeploy">Redeploy ${app}</button></form>`
        : ''
    }${
      can.rollback
        ? html`<form method="post" action="${base}/rollback">${csrfField(viewer)}<button class="btn-rollback">Roll back ${app}</button></form>`
        : ''
    }</div>`;
  });
  return html`${run}${perApp}<p class="hint">Each starts a run that passes the same gates as any other.</p>`;
}

/** One environment: what runs where (read live from its hosts), its last drift checks, and what may be started. */
export function environmentPage(
  viewer: Viewer,
  v: EnvironmentView,
  can: { run: boolean; redeploy: boolean; rollback: boolean },
): Html {
  const worst =
    v.drift.find((d) => d.status === 'drift') ?? v.drift.find((d) => d.status === 'failed') ?? v.drift[0];
  const body = html`<h1>Environment ${v.name} ${driftBadge(worst)}</h1>
<section class="runs-where"><h2>What runs where</h2>
<table><thead><tr><th>App</th><th>Host</th><th>Release</th><th>Digest</th><th>Health</th><th>Live since</th><th>Containers</th></tr></thead>
<tbody>${v.apps.length ? v.apps.map(appRow) : html`<tr><td colspan="7" class="empty">No app is deployed to ${v.name}.</td></tr>`}</tbody></table></section>
<section class="actions"><h2>Start</h2>${actions(viewer, v, can)}</section>
<section class="drift-checks"><h2>Last drift check</h2>${driftSection(v.drift)}</section>`;
  return page({ title: `Environment ${v.name}`, viewer, active: '/environments', body });
}
