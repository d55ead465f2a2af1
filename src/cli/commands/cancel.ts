import type { Command } from 'commander';
import { cancelRun } from '../../engine/cancel.ts';
import { policySourceFor } from '../repo-config.ts';
import { openRunStore, operatorName, runIdArg } from '../run-session.ts';
import type { RegisterCommand } from './index.ts';

/** How long `cancel` waits for the executing process to stop before reporting that it asked. */
const WAIT_MS = 30_000;

/** `slipway cancel RUN`: stops a run (its running steps' process groups included) and records who did. */
export const registerCancel: RegisterCommand = (program) => {
  program
    .command('cancel')
    .description('cancel a run: running steps are stopped (SIGTERM, then SIGKILL), who canceled is recorded')
    .argument('<run>', 'run number')
    .action(async (runArg: string, _flags: unknown, cmd: Command) => {
      const by = await operatorName(policySourceFor(cmd));
      const store = await openRunStore(cmd);
      try {
        const id = runIdArg(runArg);
        const outcome = await cancelRun(store, id, by, 'cli');
        if (outcome === 'already-final') {
          process.stderr.write(`run ${id} already ended: ${store.runs.get(id)!.status}\n`);
          return;
        }
        const deadline = Date.now() + WAIT_MS;
        while (store.runs.get(id)!.status !== 'canceled' && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 200));
        }
        const run = store.runs.get(id)!;
        process.stderr.write(
          run.status === 'canceled'
            ? `run ${id} canceled by ${by}\n`
            : `asked the runner of run ${id} to cancel; it is still ${run.status}\n`,
        );
      } finally {
        store.close();
      }
    });
};
