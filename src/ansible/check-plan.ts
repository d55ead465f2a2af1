// The plan of a playbook: what a `--check --diff` run says each host would change, as Change entries.
import type { Change } from '../core/changes.ts';
import { unifiedDiff } from '../util/line-diff.ts';
import type { HostEvent } from './events.ts';
import { failureReason } from './host-failures.ts';
import type { PlaybookResult } from './runner.ts';

/** Lines of one change's diff kept in the plan; the rest is counted. */
const MAX_DIFF_LINES = 400;

type DiffItem = Record<string, unknown>;

// Ansible diffs a dict (a file's state, a user's groups) as sorted, indented JSON.
function sideText(side: unknown): string {
  if (side === undefined || side === null) return '';
  if (typeof side === 'string') return side;
  return `${JSON.stringify(sortKeys(side), null, 4)}\n`;
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(
    Object.keys(v)
      .sort()
      .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
  );
}

/**
 * The text of a module's diff items: `prepared` as the module wrote it, else a unified diff of before and
 * after. Headers are left out: Ansible names temp files there, which would change the plan on every check.
 */
export function diffText(items: readonly DiffItem[]): string {
  const parts = items.map((d) =>
    typeof d['prepared'] === 'string'
      ? d['prepared'].trimEnd()
      : unifiedDiff(sideText(d['before']), sideText(d['after'])),
  );
  const lines = parts.filter(Boolean).join('\n').split('\n');
  if (lines.length <= MAX_DIFF_LINES) return lines.join('\n');
  return [...lines.slice(0, MAX_DIFF_LINES), `... ${lines.length - MAX_DIFF_LINES} more lines`].join('\n');
}

/** `add` when every item goes from absent to present, `remove` for the reverse, else `change`. */
function actionOf(items: readonly DiffItem[]): Change['action'] {
  const state = (side: unknown) =>
    side !== null && typeof side === 'object' ? (side as { state?: unknown }).state : undefined;
  if (items.length === 0) return 'change';
  if (items.every((d) => state(d['before']) === 'absent' && state(d['after']) !== 'absent')) return 'add';
  if (items.every((d) => state(d['after']) === 'absent' && state(d['before']) !== 'absent')) return 'remove';
  return 'change';
}

type Item = { changed?: unknown; diff?: unknown; item?: unknown; censored?: unknown };

const asItems = (diff: unknown): DiffItem[] =>
  Array.isArray(diff) ? (diff as DiffItem[]) : diff && typeof diff === 'object' ? [diff as DiffItem] : [];

/** The file or thing a task works on, from its module arguments (`dest`, `path`, `name`), when it names one. */
function targetOf(e: HostEvent): string | undefined {
  const args = (e.result['invocation'] as { module_args?: Record<string, unknown> } | undefined)?.module_args;
  const target = args?.['dest'] ?? args?.['path'];
  return typeof target === 'string' ? target : undefined;
}

const HIDDEN = 'details hidden: the task sets no_log';

/** The change of one task on one host that the check says it would make. */
function changedTask(e: HostEvent): Change {
  const target = targetOf(e);
  const subject = `${e.task}${target ? `: ${target}` : ''}`;
  if ('censored' in e.result) return { host: e.host, action: 'change', subject, detail: HIDDEN };
  const results = Array.isArray(e.result['results']) ? (e.result['results'] as Item[]) : undefined;
  if (!results) {
    const detail = diffText(e.diff);
    return { host: e.host, action: actionOf(e.diff), subject, ...(detail ? { detail } : {}) };
  }
  // A loop: each changed item with its own diff.
  const detail = results
    .filter((i) => i.changed === true)
    .map((i) => {
      const body = 'censored' in i ? HIDDEN : diffText(asItems(i.diff));
      return [`item ${JSON.stringify(i.item)}`, body].filter(Boolean).join('\n');
    })
    .join('\n');
  return { host: e.host, action: 'change', subject, ...(detail ? { detail } : {}) };
}

/** What a check cannot say: a task skipped because it does not run in check mode (command, shell, ...). */
function uncheckedTask(e: HostEvent): Change | undefined {
  const msg = e.result['msg'];
  if (typeof msg !== 'string' || !/check mode/i.test(msg)) return undefined;
  return { host: e.host, action: 'run', subject: `${e.task}: runs on apply (${msg})` };
}

function notPlanned(e: HostEvent): Change {
  const why = failureReason(e);
  if (e.event === 'host_unreachable')
    return {
      host: e.host,
      action: 'change',
      subject: `not planned: unreachable: ${why}`,
      detail: 'the apply fails on this host unless it answers; re-plan once it does',
    };
  return {
    host: e.host,
    action: 'change',
    subject: `check failed at ${e.task}: ${why}`,
    detail:
      'the check stopped on this host here, so the tasks after it are not planned; in check mode a task ' +
      'cannot see what earlier tasks would have created, while the apply runs them for real',
  };
}

/**
 * The plan of a `--check --diff` run, per host (hosts by name, tasks in play order): tasks that would change
 * something with their diff (masked by `mask`; `no_log` tasks show none), tasks check mode cannot run, and
 * the hosts the check could not finish on, with why.
 */
export function planFromCheckRun(
  result: Pick<PlaybookResult, 'events'>,
  mask: (text: string) => string,
): Change[] {
  const changes: Change[] = [];
  for (const e of result.events) {
    if (!('host' in e)) continue;
    let c: Change | undefined;
    if (e.event === 'host_ok' && e.changed) c = changedTask(e);
    else if (e.event === 'host_skipped') c = uncheckedTask(e);
    else if ((e.event === 'host_failed' && !e.ignore_errors) || e.event === 'host_unreachable')
      c = notPlanned(e);
    if (c)
      changes.push({
        ...c,
        subject: mask(c.subject),
        ...(c.detail !== undefined ? { detail: mask(c.detail) } : {}),
      });
  }
  // Hosts finish a task in any order: sorted by host (stable), so the same check gives the same plan hash.
  return changes.sort((a, b) => (a.host! < b.host! ? -1 : a.host! > b.host! ? 1 : 0));
}
