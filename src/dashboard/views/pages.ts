import { formatTime } from '../../util/format.ts';
import { gateView } from './gate.ts';
import { type Html, html } from './html.ts';
import { csrfField, page, type Viewer } from './layout.ts';
import type { AuditRow, GateView, ReleaseRow } from './model.ts';

/** Gates waiting on the signed-in user: each with its plan and the buttons. */
export function approvalsPage(viewer: Viewer, gates: readonly GateView[]): Html {
  const body = html`<h1>Pending approvals</h1>${gates.length ? gates.map((g) => gateView(g, viewer)) : html`<p class="empty">Nothing waits for you.</p>`}`;
  return page({ title: 'Approvals', viewer, active: '/approvals', body });
}

/** Releases per environment, newest first, with a rollback button (a new run that passes the same gates) when the server can start one. */
export function releasesPage(viewer: Viewer, releases: readonly ReleaseRow[], canRollback: boolean): Html {
  const byEnv = new Map<string, ReleaseRow[]>();
  for (const r of releases) byEnv.set(r.environment, [...(byEnv.get(r.environment) ?? []), r]);
  const sections = [...byEnv].map(
    ([env, list]) => html`<section class="releases" data-env="${env}"><h2>${env}</h2>
${canRollback ? [...new Set(list.map((r) => r.app))].map((app) => html`<form method="post" action="/releases/${env}/${app}/rollback">${csrfField(viewer)}<button class="btn-rollback">Roll back ${app} in ${env} to the previous release</button></form>`) : ''}
<table><thead><tr><th>Release</th><th>App</th><th>Host</th><th>Digest</th><th>Run</th><th>By</th><th>When</th></tr></thead><tbody>${list.map(
      (
        r,
      ) => html`<tr${r.current ? html` class="current"` : ''}><td>${r.id}${r.current ? html` <span class="badge st-succeeded">current</span>` : ''}</td><td>${r.app}</td><td>${r.host ?? ''}</td>
<td><code title="${r.digest}">${r.digest.replace(/^sha256:/, '').slice(0, 12)}</code></td><td>${r.runId ? html`<a href="/runs/${r.runId}">${r.runId}</a>` : ''}</td><td>${r.by}</td><td>${formatTime(r.at)}</td></tr>`,
    )}</tbody></table></section>`,
  );
  const body = html`<h1>Releases</h1>${sections.length ? sections : html`<p class="empty">No releases yet.</p>`}`;
  return page({ title: 'Releases', viewer, active: '/releases', body });
}

/** The append-only audit log, newest first. */
export function auditPage(viewer: Viewer, rows: readonly AuditRow[]): Html {
  const body = html`<h1>Audit log</h1><table class="audit"><thead><tr><th>When</th><th>Who</th><th>Channel</th><th>Action</th><th>Target</th><th>Outcome</th><th>Detail</th></tr></thead>
<tbody>${rows.map((r) => html`<tr class="outcome-${r.outcome}"><td>${formatTime(r.at)}</td><td>${r.actor}</td><td>${r.channel}</td><td>${r.action}</td><td>${r.target}</td><td>${r.outcome}</td><td>${r.detail ?? ''}</td></tr>`)}</tbody></table>`;
  return page({ title: 'Audit', viewer, active: '/audit', body });
}

/** The sign-in form: a personal token from `slipway user add` is exchanged for a session. */
export function signinPage(opts: { csrf: string; error?: string; next?: string }): Html {
  const body = html`<h1>Sign in</h1>${opts.error ? html`<p class="error">${opts.error}</p>` : ''}
<form method="post" action="/signin" class="signin"><input type="hidden" name="_csrf" value="${opts.csrf}">
<input type="hidden" name="next" value="${opts.next ?? '/'}">
<label>Token <input type="password" name="token" autocomplete="current-password" required size="50"></label> <button>Sign in</button></form>
<p class="hint">Get a token with <code>slipway user add LOGIN</code>; it is shown once.</p>`;
  return page({ title: 'Sign in', body });
}

/** A plain error page (404, 403, 400). */
export function errorPage(viewer: Viewer | undefined, title: string, message: string): Html {
  return page({ title, viewer, body: html`<h1>${title}</h1><p class="error">${message}</p>` });
}
