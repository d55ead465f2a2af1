import type { Command } from 'commander';
import { createRestoreRun } from '../../engine/restore-run.ts';
import { jobRequesterFor } from '../../triggers/app-job-run.ts';
import { asInvalidConfig } from '../errors.ts';
import { executeNewRun } from '../execute-run.ts';
import { loadTrustedForCommand } from '../repo-config.ts';
import { cliCheckouts, cliRequester, openRunStore } from '../run-session.ts';
import type { RegisterCommand } from './index.ts';

/**
 * `slipway restore ENV APP BACKUP`: feeds a recorded backup to its service's restore command through the
 * environment's own deploy job, gates included, after a backup of the data as it is now.
 */
export const registerRestore: RegisterCommand = (program) => {
  program
    .command('restore')
    .description(
      "restore a backup of a stateful service (from `slipway backups ENV APP`) through the environment's deploy job and its gate; what is there now is backed up first",
    )
    .argument('<env>', 'environment')
    .argument('<app>', 'app')
    .argument('<backup>', 'backup id or number from `slipway backups ENV APP`')
    .option('--detach', 'leave the run stored at its approval gate and exit 3 instead of waiting')
    .option('--json', 'stream NDJSON events on stdout')
    .action(
      async (
        env: string,
        app: string,
        wanted: string,
        flags: { detach?: boolean; json?: boolean },
        cmd: Command,
      ) => {
        const { repo, policy, source } = await loadTrustedForCommand(cmd);
        const store = await openRunStore(cmd);
        try {
          const { name, ...who } = await cliRequester(cmd, repo, policy);
          // A registered app's restore is an app run at the commit of its live release.
          const asked = await jobRequesterFor(store, who, { env, app }, cliCheckouts(cmd));
          // A backup, app or job that does not exist is a usage error: nothing is created.
          const { runId, backup } = asInvalidConfig(() =>
            createRestoreRun(store, { ...asked, env, app, backup: wanted }),
          );
          if (!flags.json) {
            process.stderr.write(
              `run ${runId}: restore of ${app}'s ${backup.service} in ${env} on ${backup.host} from backup ${backup.backupId} ` +
                `(${backup.reason}); its data as it is now is backed up first\n`,
            );
          }
          process.exitCode = await executeNewRun(store, runId, source, name, flags);
        } finally {
          store.close();
        }
      },
    );
};
