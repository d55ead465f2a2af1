import type { Command } from 'commander';
import type { DriftCheckRecord } from '../../store/types.ts';
import { formatTime } from '../../util/format.ts';
import { planLines } from '../render/format.ts';
import { openRunStore } from '../run-session.ts';
import type { RegisterCommand } from './index.ts';

const STATUS: Record<DriftCheckRecord['status'], string> = {
  clean: 'in sync',
  drift: 'DRIFT',
  failed: 'check failed',
};

/** One check as text: environment, pipeline, what it found, when, at which commit; the drift itself below. */
export function driftLines(c: DriftCheckRecord): string[] {
  const found =
    c.status === 'drift'
      ? `${STATUS.drift} (${c.changes} change${c.changes === 1 ? '' : 's'})`
      : STATUS[c.status];
  const lines = [
    `${c.environment} ${c.pipeline}: ${found} at ${formatTime(c.checkedAt)} UTC (${c.branch} ${c.sha.slice(0, 12)})${c.reason ? `: ${c.reason}` : ''}`,
  ];
  if (c.status === 'drift') {
    for (const j of c.plan) {
      if (j.steps.every((s) => s.changes.length === 0)) continue;
      lines.push(`  ${j.job}`, ...planLines(j.steps, '    '));
    }
  }
  return lines;
}

/** `slipway drift [ENV]`: the last scheduled drift check of each pipeline; exit 1 when one found drift or failed. */
export const registerDrift: RegisterCommand = (program) => {
  program
    .command('drift')
    .description(
      'the last drift check (on.schedule mode: plan, run by slipway serve) of each pipeline and environment; exits 1 on drift or a failed check',
    )
    .argument('[env]', 'only this environment')
    .option('--json', 'print JSON')
    .action(async (env: string | undefined, flags: { json?: boolean }, cmd: Command) => {
      const store = await openRunStore(cmd);
      try {
        const checks = store.drift.latest(env);
        if (flags.json) process.stdout.write(`${JSON.stringify(checks, null, 2)}\n`);
        else if (checks.length === 0)
          process.stdout.write(
            `no drift check recorded${env ? ` in ${env}` : ''} (on.schedule with mode: plan)\n`,
          );
        else process.stdout.write(`${checks.flatMap(driftLines).join('\n')}\n`);
        if (checks.some((c) => c.status !== 'clean')) process.exitCode = 1;
      } finally {
        store.close();
      }
    });
};
