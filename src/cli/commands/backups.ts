import type { Command } from 'commander';
import { formatTime } from '../../util/format.ts';
import { openRunStore } from '../run-session.ts';
import type { RegisterCommand } from './index.ts';

const size = (bytes: number) =>
  bytes >= 1 << 20
    ? `${(bytes / (1 << 20)).toFixed(1)} MiB`
    : bytes >= 1024
      ? `${(bytes / 1024).toFixed(1)} KiB`
      : `${bytes} B`;

/** `slipway backups ENV APP`: the backups of an app's stateful services in an environment, newest first. */
export const registerBackups: RegisterCommand = (program) => {
  program
    .command('backups')
    .description("list the backups of an app's stateful services in an environment, newest first")
    .argument('<env>', 'environment')
    .argument('<app>', 'app')
    .option('--all', "also list the backups removed from their host (beyond the service's keep:)")
    .option('--limit <n>', 'how many', '50')
    .option('--json', 'print JSON')
    .action(
      async (
        env: string,
        app: string,
        flags: { all?: boolean; limit: string; json?: boolean },
        cmd: Command,
      ) => {
        const store = await openRunStore(cmd);
        try {
          const all = store.backups.list(env, app, Number(flags.limit));
          const backups = flags.all ? all : all.filter((b) => b.removedAt === undefined);
          if (flags.json) {
            process.stdout.write(`${JSON.stringify(backups, null, 2)}\n`);
            return;
          }
          if (backups.length === 0) {
            process.stdout.write(`no backups of ${app} in ${env}\n`);
            return;
          }
          process.stdout.write(
            `${'#'.padEnd(5)} ${'BACKUP'.padEnd(26)} ${'SERVICE'.padEnd(10)} ${'HOST'.padEnd(12)} ${'SIZE'.padEnd(10)} ${'RUN'.padEnd(5)} ${'TAKEN'.padEnd(20)} WHY\n`,
          );
          for (const b of backups) {
            process.stdout.write(
              `${String(b.id).padEnd(5)} ${b.backupId.padEnd(26)} ${b.service.padEnd(10)} ${b.host.padEnd(12)} ${size(b.bytes).padEnd(10)} ` +
                `${String(b.runId ?? '-').padEnd(5)} ${formatTime(b.createdAt).padEnd(20)} ${b.reason}${b.removedAt ? ' (removed)' : ''}\n`,
            );
          }
          process.stdout.write(
            `restore one with: slipway restore ${env} ${app} BACKUP (behind ${env}'s gate)\n`,
          );
        } finally {
          store.close();
        }
      },
    );
};
