import type { NotifyEventName } from '../config/schema/notifications.ts';

/** The run a notification is about, with where to look at it. */
export interface RunRef {
  id: number;
  pipeline: string;
  sha: string;
  branch: string;
  triggeredBy: string;
  url?: string;
}

/** What happened, as every channel tells it (the webhook sends it as JSON, with `text`). */
export type NotifyEvent =
  | {
      event: 'gate.opened';
      run: RunRef;
      job: string;
      environment?: string;
      approvers: string[];
      required: number;
      expiresAt: string;
      /** How many changes the plan at the gate holds. */
      changes: number;
    }
  | { event: 'run.failed'; run: RunRef; reason: string; rolledBack: string[] }
  | { event: 'run.rolled_back'; run: RunRef; environment?: string; release: string; digest: string }
  | {
      event: 'drift.found';
      pipeline: string;
      environment: string;
      sha: string;
      branch: string;
      changes: number;
      checkedAt: string;
      /** The drift, one line per change. */
      lines: string[];
      url?: string;
    };

/** Whether `notifications.events` asks for this event (a failure that rolled hosts back counts as either). */
export function wanted(e: NotifyEvent, events: readonly NotifyEventName[]): boolean {
  switch (e.event) {
    case 'gate.opened':
      return events.includes('gate');
    case 'run.failed':
      return events.includes('failure') || (e.rolledBack.length > 0 && events.includes('rollback'));
    case 'run.rolled_back':
      return events.includes('rollback');
    case 'drift.found':
      return events.includes('drift');
  }
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const at = (sha: string) => sha.slice(0, 7);

/** The subject line and the body lines people read (chat text, e-mail). */
export function eventText(e: NotifyEvent): { subject: string; lines: string[] } {
  switch (e.event) {
    case 'gate.opened': {
      const where = e.environment ? ` to ${e.environment}` : '';
      return {
        subject: `Approval needed: ${e.run.pipeline} / ${e.job}${where} at ${at(e.run.sha)} (run ${e.run.id})`,
        lines: [
          `Run ${e.run.id} of ${e.run.pipeline} (${e.run.branch} at ${at(e.run.sha)}, started by ${e.run.triggeredBy}) waits for approval before ${e.job}${where}.`,
          `Plan: ${plural(e.changes, 'change')}. Approvers: ${e.approvers.join(', ')} (${e.required} needed). Expires ${e.expiresAt}.`,
          ...(e.run.url ? [e.run.url] : []),
        ],
      };
    }
    case 'run.failed':
      return {
        subject: `Failed: ${e.run.pipeline} run ${e.run.id} at ${at(e.run.sha)}${e.rolledBack.length ? ' (rolled back)' : ''}`,
        lines: [
          `Run ${e.run.id} of ${e.run.pipeline} (${e.run.branch} at ${at(e.run.sha)}, started by ${e.run.triggeredBy}) failed: ${e.reason}`,
          ...(e.rolledBack.length
            ? [`Rolled back to their previous release: ${e.rolledBack.join(', ')}.`]
            : []),
          ...(e.run.url ? [e.run.url] : []),
        ],
      };
    case 'run.rolled_back':
      return {
        subject: `Rolled back: ${e.run.pipeline}${e.environment ? ` in ${e.environment}` : ''} to ${e.release}`,
        lines: [
          `Run ${e.run.id} (started by ${e.run.triggeredBy}) restored release ${e.release} (${e.digest.slice(0, 19)})${e.environment ? ` in ${e.environment}` : ''}.`,
          ...(e.run.url ? [e.run.url] : []),
        ],
      };
    case 'drift.found':
      return {
        subject: `Drift in ${e.environment}: ${plural(e.changes, 'change')} (${e.pipeline})`,
        lines: [
          `The scheduled plan of ${e.pipeline} (${e.branch} at ${at(e.sha)}) found ${plural(e.changes, 'change')} in ${e.environment}; nothing was applied:`,
          ...e.lines.map((l) => `  ${l}`),
          'A run of the pipeline corrects it, through its gates.',
          ...(e.url ? [e.url] : []),
        ],
      };
  }
}
