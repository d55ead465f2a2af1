import type { Command } from 'commander';
import { NothingToRollBack } from '../../deploy/rollback-target.ts';
import { chooseRollback, createRollbackRun } from '../../engine/rollback-run.ts';
import { jobRequesterFor } from '../../triggers/app-job-run.ts';
import { asInvalidConfig, refusedAs } from '../errors.ts';
import { executeNewRun } from '../execute-run.ts';
import { loadTrustedForCommand } from '../repo-config.ts';
import { cliCheckouts, cliRequester, openRunStore } from '../run-session.ts';
import type { RegisterCommand } from './index.ts';

/**
 * `slipway rollback ENV [RELEASE]`: restores a recorded release (default: the one before the live
 * image) through the environment's own deploy job, gates included: its digest, compose file and
 * configuration, secrets resolved again; nothing is rebuilt. A registered app's deploy job comes from its
 * repository at the commit that made the release.
 */
export const registerRollback: RegisterCommand = (program) => {
  program
    .command('rollback')
    .description(
      'restore a recorded release (default: the previous one): its image, compose file and configuration, through the same gates, without rebuilding',
    )
    .argument('<env>', 'environment')
    .argument('[release]', 'release id or digest from `slipway releases ENV`')
    .option('--app <app>', 'the app, when the environment has several')
    .option('--detach', 'leave the run stored at its approval gate and exit 3 instead of waiting')
    .option('--json', 'stream NDJSON events on stdout')
    .action(
      async (
        env: string,
        wanted: string | undefined,
        flags: { app?: string; detach?: boolean; json?: boolean },
        cmd: Command,
      ) => {
        const { repo, policy, source } = await loadTrustedForCommand(cmd);
        const store = await openRunStore(cmd);
        try {
          const { name, ...who } = await cliRequester(cmd, repo, policy);
          const req = {
            ...who,
            env,
            ...(flags.app ? { app: flags.app } : {}),
            ...(wanted ? { release: wanted } : {}),
          };
          // Nothing to go back to is a request that failed; a wrong app, release or job is a usage error.
          const chosen = asInvalidConfig(() =>
            refusedAs(NothingToRollBack, 'rollback', () => chooseRollback(store, req)),
          );
          // A registered app's rollback is an app run at the commit that made the release.
          const asked = await jobRequesterFor(store, req, { env, ...chosen }, cliCheckouts(cmd));
          const { runId, target } = asInvalidConfig(() =>
            createRollbackRun(store, { ...req, ...asked }, chosen),
          );
          if (!flags.json) {
            process.stderr.write(
              `run ${runId}: rollback of ${target.app} in ${env} to release ${target.release.releaseId} ` +
                (asked.appOrigin ? `with its repository at ${asked.commit.sha.slice(0, 12)} ` : '') +
                `(${target.release.digest.slice(0, 19)}, live: ${target.currentDigest.slice(0, 19)}): ` +
                'its image, compose file and configuration, secrets resolved again\n',
            );
          }
          process.exitCode = await executeNewRun(store, runId, source, name, flags);
        } finally {
          store.close();
        }
      },
    );
};
