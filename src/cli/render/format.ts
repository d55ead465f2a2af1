import type { GateRecord, PlannedStep, RunDetail } from '../../store/types.ts';
import { formatDuration } from '../../util/format.ts';

const SYMBOLS: Record<string, string> = {
  pending: '·',
  queued: '…',
  waiting: '⏸',
  running: '▶',
  succeeded: '✓',
  ok: '✓',
  changed: '✓',
  failed: '✗',
  unreachable: '✗',
  rejected: '✗',
  interrupted: '!',
  skipped: '-',
  canceled: '⊘',
  expired: '⌛',
  'rolled-back': '↺',
};

/** A one-character mark for a status. */
export function mark(status: string): string {
  return SYMBOLS[status] ?? '?';
}

/** ` 1.2s` for something that started (and maybe finished), else empty. */
export function took(start: number | undefined, end: number | undefined, now: number): string {
  return start === undefined ? '' : ` ${formatDuration((end ?? now) - start)}`;
}

/** A plan as indented lines: each step, then each change per host. */
export function planLines(plan: readonly PlannedStep[], indent: string): string[] {
  const lines: string[] = [];
  for (const step of plan) {
    if (step.kind === 'approval') continue;
    lines.push(`${indent}${step.name} (${step.kind})${step.changes.length ? '' : ': no changes'}`);
    for (const c of step.changes) {
      lines.push(`${indent}  ${c.action} ${c.host ? `${c.host}: ` : ''}${c.subject}`);
      for (const d of c.detail?.split('\n') ?? []) lines.push(`${indent}      ${d}`);
    }
  }
  return lines;
}

/** What a pending gate shows: who may decide, how many, until when, and the plan. */
export function gateLines(gate: GateRecord, indent: string): string[] {
  const approved = gate.approvals.filter((a) => a.decision === 'approve').map((a) => a.login);
  return [
    `${indent}gate: ${approved.length} of ${gate.policy.required} from ${gate.policy.approvers.join(', ')}` +
      `${approved.length ? ` (approved: ${approved.join(', ')})` : ''}` +
      `${gate.opensAt > Date.now() ? `; takes approvals from ${new Date(gate.opensAt).toISOString()}` : ''}` +
      `; expires ${new Date(gate.expiresAt).toISOString()}`,
    `${indent}commit ${gate.sha.slice(0, 12)}, plan ${gate.planHash.slice(0, 12)}:`,
    ...planLines(gate.plan, `${indent}  `),
    `${indent}slipway approve ${gate.runId} ${gate.job}   |   slipway reject ${gate.runId} ${gate.job} --reason ...`,
  ];
}

/** A run as a tree of jobs, steps and hosts with status and durations. */
export function treeLines(d: RunDetail, now = Date.now()): string[] {
  const r = d.run;
  const lines = [
    `run ${r.id} ${r.pipeline}${r.rollback ? ` rollback to release ${r.rollback.releaseId}` : ''}` +
      `${r.restoreBackup === undefined ? '' : ` restore of backup ${r.restoreBackup}`}` +
      `${r.rerunOf === undefined ? '' : ` re-run of run ${r.rerunOf}`} ` +
      `@ ${r.app ? `app ${r.app.name} ` : ''}${r.sha.slice(0, 7)} (${r.branch})` +
      `${r.app ? ` under ops ${r.app.opsSha.slice(0, 7)}` : ''} by ${r.triggeredBy}: ${r.status}` +
      `${took(r.startedAt ?? r.createdAt, r.finishedAt, now)}${r.reason ? ` — ${r.reason}` : ''}`,
  ];
  d.jobs.forEach((job, i) => {
    const last = i === d.jobs.length - 1;
    const pre = last ? '   ' : '│  ';
    lines.push(
      `${last ? '└─' : '├─'} ${mark(job.status)} ${job.name}${job.environment ? ` [${job.environment}]` : ''} ${job.status}` +
        `${took(job.startedAt, job.finishedAt, now)}${job.reason ? ` — ${job.reason}` : ''}`,
    );
    if (job.status === 'waiting') {
      const gate = d.gates.filter((g) => g.job === job.name && g.status === 'pending').at(-1);
      if (gate) lines.push(...gateLines(gate, `${pre}   `));
    }
    const steps = d.steps.filter((s) => s.job === job.name);
    steps.forEach((s, j) => {
      const lastStep = j === steps.length - 1;
      lines.push(
        `${pre}${lastStep ? '└─' : '├─'} ${mark(s.status)} ${s.name} ${s.status}${s.attempt > 1 ? ` (attempt ${s.attempt})` : ''}` +
          `${took(s.startedAt, s.finishedAt, now)}${s.reason ? ` — ${s.reason}` : ''}`,
      );
      for (const h of d.hosts.filter((h) => h.job === job.name && h.idx === s.idx)) {
        lines.push(
          `${pre}${lastStep ? '   ' : '│  '}   ${mark(h.status)} ${h.host} ${h.status}${h.detail ? ` — ${h.detail}` : ''}`,
        );
      }
    });
  });
  return lines;
}
