import type { Command } from 'commander';
import type { RunStatus } from '../../store/types.ts';
import { formatDuration, formatTime } from '../../util/format.ts';
import { mark } from '../render/format.ts';
import { openRunStore } from '../run-session.ts';
import type { RegisterCommand } from './index.ts';

/** `slipway runs`: recent runs, newest first, with the environment lock queues. */
export const registerRuns: RegisterCommand = (program) => {
  program
    .command('runs')
    .description('list runs, newest first')
    .option('--status <status...>', 'only runs with these statuses')
    .option('--pipeline <name>', 'only runs of this pipeline')
    .option('--limit <n>', 'how many', '20')
    .option('--before <run>', 'only runs older than this one (next page)')
    .option('--json', 'print JSON')
    .action(
      async (
        flags: { status?: RunStatus[]; pipeline?: string; limit: string; before?: string; json?: boolean },
        cmd: Command,
      ) => {
        const store = await openRunStore(cmd);
        try {
          const runs = store.runs.list({
            status: flags.status,
            pipeline: flags.pipeline,
            limit: Number(flags.limit),
            beforeId: flags.before ? Number(flags.before) : undefined,
          });
          const locks = store.locks.all();
          if (flags.json) {
            process.stdout.write(`${JSON.stringify({ runs, locks }, null, 2)}\n`);
            return;
          }
          const now = Date.now();
          for (const r of runs) {
            const took = r.startedAt ? formatDuration((r.finishedAt ?? now) - r.startedAt) : '';
            process.stdout.write(
              `${String(r.id).padStart(5)} ${mark(r.status)} ${r.status.padEnd(11)} ${r.pipeline.padEnd(16)} ` +
                `${r.sha.slice(0, 7)} ${r.branch.padEnd(14)} ${r.triggeredBy.padEnd(12)} ${formatTime(r.createdAt)} ${took}` +
                `${r.rollback ? `  rollback to release ${r.rollback.releaseId}` : ''}` +
                `${r.rerunOf === undefined ? '' : `  re-run of run ${r.rerunOf}`}${r.reason ? `  ${r.reason}` : ''}\n`,
            );
          }
          const envs = [...new Set(locks.map((l) => l.environment))];
          for (const env of envs) {
            const [head, ...rest] = locks.filter((l) => l.environment === env);
            process.stdout.write(
              `lock ${env}: held by run ${head!.runId} (queued ${formatTime(head!.requestedAt)})` +
                `${rest.length ? `, waiting: ${rest.map((l) => l.runId).join(', ')}` : ''}\n`,
            );
          }
        } finally {
          store.close();
        }
      },
    );
};
