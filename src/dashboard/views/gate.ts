import type { Change } from '../../core/changes.ts';
import { formatTime, shortSha } from '../../util/format.ts';
import { type Html, html } from './html.ts';
import { csrfField, type Viewer } from './layout.ts';
import type { GateView } from './model.ts';

/** The plan as the approver reads it: changes grouped by host, with their details folded. */
export function planView(changes: readonly Change[]): Html {
  if (changes.length === 0) return html`<p class="plan empty">No changes.</p>`;
  const groups = new Map<string, Change[]>();
  for (const c of changes) {
    const key = c.host ?? 'runner';
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  return html`<div class="plan">${[...groups].map(
    ([host, list]) =>
      html`<section class="plan-host"><h4>${host}</h4><ul>${list.map(
        (c) =>
          html`<li class="chg chg-${c.action}"><span class="act">${c.action}</span> ${c.subject}${
            c.detail ? html`<details><summary>detail</summary><pre>${c.detail}</pre></details>` : ''
          }</li>`,
      )}</ul></section>`,
  )}</div>`;
}

/** A gate: its plan, the votes so far, and Approve/Reject forms only when the policy lets the viewer decide. */
export function gateView(gate: GateView, viewer: Viewer): Html {
  const action = `/runs/${encodeURIComponent(gate.runId)}/jobs/${encodeURIComponent(gate.job)}`;
  const approvals = gate.decisions.filter((d) => d.decision === 'approve').length;
  const open = gate.status === 'pending';
  const approve = gate.canApprove
    ? html`<form method="post" action="${action}/approve" class="approve">${csrfField(viewer)}<button class="btn-approve">Approve</button></form>`
    : '';
  const reject = gate.canReject
    ? html`<form method="post" action="${action}/reject" class="reject">${csrfField(viewer)}<input name="reason" required placeholder="Reason (required)" size="30"> <button class="btn-reject">Reject</button></form>`
    : '';
  const refusal =
    open && gate.refusal && !gate.canApprove ? html`<p class="no-decide">${gate.refusal}</p>` : '';
  const forms = html`${refusal}${gate.canApprove || gate.canReject ? html`<div class="decide">${approve}${reject}</div>` : ''}`;
  return html`<section class="gate" data-job="${gate.job}" data-gate-status="${gate.status}">
<h3>Approval for <a href="/runs/${gate.runId}#job-${gate.job}">${gate.runId} / ${gate.job}</a> <span class="badge st-${open ? 'waiting' : gate.status}">${gate.status}</span></h3>
<p class="gate-meta">Commit <code>${shortSha(gate.sha)}</code> · plan <code>${gate.planHash.slice(0, 12)}</code> · ${approvals}/${gate.required} approvals · approvers: ${gate.approvers.join(', ')}</p>
${gate.carriedFrom ? html`<p class="carried">Carried over from <a href="/runs/${gate.carriedFrom}">run ${gate.carriedFrom}</a>: ${gate.reason ?? ''}</p>` : ''}
${planView(gate.changes)}
${gate.decisions.length ? html`<ul class="votes">${gate.decisions.map((d) => html`<li>${d.decision === 'approve' ? '✔' : '✘'} ${d.login} via ${d.channel} at ${formatTime(d.at)}${d.reason ? html`: <q>${d.reason}</q>` : ''}</li>`)}</ul>` : ''}
${forms}</section>`;
}
