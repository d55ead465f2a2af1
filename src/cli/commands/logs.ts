import type { Command } from 'commander';
import { FINAL_RUN_STATUSES } from '../../store/types.ts';
import { CliError } from '../errors.ts';
import { followRun } from '../render/follow.ts';
import { ndjsonRenderer, plainRenderer } from '../render/renderers.ts';
import { openRunStore, runIdArg } from '../run-session.ts';
import type { RegisterCommand } from './index.ts';

/** `slipway logs RUN [--follow]`: a run's (masked) output and status events, optionally as they happen. */
export const registerLogs: RegisterCommand = (program) => {
  program
    .command('logs')
    .description("print a run's output (secrets masked); --follow keeps printing until the run ends")
    .argument('<run>', 'run number')
    .option('-f, --follow', 'keep following until the run ends')
    .option('--json', 'NDJSON events')
    .action(async (runArg: string, flags: { follow?: boolean; json?: boolean }, cmd: Command) => {
      const store = await openRunStore(cmd);
      try {
        const id = runIdArg(runArg);
        if (!store.runs.get(id)) throw new CliError(`there is no run ${id}`);
        const renderer = flags.json ? ndjsonRenderer() : plainRenderer(store, id);
        const ended = flags.follow ? runEnded(() => store.runs.get(id)?.status) : Promise.resolve();
        await followRun(store, id, renderer, ended);
      } finally {
        store.close();
      }
    });
};

/** Settles when the run reaches a final status (polled: the writer may be another process). */
async function runEnded(status: () => string | undefined): Promise<void> {
  while (!FINAL_RUN_STATUSES.includes(status() as never)) await new Promise((r) => setTimeout(r, 250));
}
