import type { Command } from 'commander';
import { runIdArg } from '../run-session.ts';
import { decideFromCli } from './approve.ts';
import type { RegisterCommand } from './index.ts';

/** `slipway reject RUN [JOB] --reason ...`: rejects a pending gate; the run ends as rejected. */
export const registerReject: RegisterCommand = (program) => {
  program
    .command('reject')
    .description('reject a pending gate as the local operator')
    .argument('<run>', 'run number')
    .argument('[job]', 'the gated job, when the run has several pending gates')
    .requiredOption('--reason <text>', 'why (recorded in the audit trail)')
    .option('--no-continue', 'only record the rejection')
    .action(
      async (
        runArg: string,
        job: string | undefined,
        flags: { reason: string; continue: boolean },
        cmd: Command,
      ) => {
        await decideFromCli(cmd, runIdArg(runArg), job, 'reject', flags.reason, flags);
      },
    );
};
