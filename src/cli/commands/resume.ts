import type { Command } from 'commander';
import { executeWithProgress } from '../execute-run.ts';
import { loadTrustedForCommand } from '../repo-config.ts';
import { openRunStore, operator, runIdArg } from '../run-session.ts';
import type { RegisterCommand } from './index.ts';

/** `slipway resume RUN`: continues a stored run (after an approval, or after its runner died). */
export const registerResume: RegisterCommand = (program) => {
  program
    .command('resume')
    .description('continue a run waiting at a gate or interrupted by a crash')
    .argument('<run>', 'run number')
    .option(
      '--retry-interrupted',
      'apply again the steps a dead runner left interrupted (check the hosts first)',
    )
    .option('--detach', 'stop again at a gate that still waits instead of waiting')
    .option('--json', 'stream NDJSON events on stdout')
    .action(
      async (
        runArg: string,
        flags: { retryInterrupted?: boolean; detach?: boolean; json?: boolean },
        cmd: Command,
      ) => {
        const runId = runIdArg(runArg);
        const trusted = await loadTrustedForCommand(cmd);
        const store = await openRunStore(cmd);
        try {
          process.exitCode = await executeWithProgress({
            store,
            runId,
            policy: trusted.source,
            actor: operator(trusted.policy).name,
            ...flags,
          });
        } finally {
          store.close();
        }
      },
    );
};
