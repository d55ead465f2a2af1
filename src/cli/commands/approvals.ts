import type { Command } from 'commander';
import { errorMessage } from '../../util/errors.ts';
import { gateLines } from '../render/format.ts';
import { policySourceFor } from '../repo-config.ts';
import { openRunStore } from '../run-session.ts';
import type { RegisterCommand } from './index.ts';

/** `slipway approvals`: pending gates of every run, with their plans. */
export const registerApprovals: RegisterCommand = (program) => {
  program
    .command('approvals')
    .description('list pending approval gates with the plan each one would let through')
    .option('--json', 'print JSON')
    .action(async (flags: { json?: boolean }, cmd: Command) => {
      // Asking for the policy in force proposes a weakening change of the default branch at its gate.
      await policySourceFor(cmd)
        .current()
        .catch((err) =>
          process.stderr.write(`warning: the policy in force cannot be read: ${errorMessage(err)}\n`),
        );
      const store = await openRunStore(cmd);
      try {
        const gates = store.gates.pending();
        if (flags.json) {
          process.stdout.write(`${JSON.stringify(gates, null, 2)}\n`);
          return;
        }
        if (gates.length === 0) process.stdout.write('no pending approvals\n');
        for (const gate of gates) {
          const run = store.runs.get(gate.runId)!;
          process.stdout.write(
            `run ${run.id} ${run.pipeline} › ${gate.job}${gate.step === undefined ? '' : ` (step ${gate.step})`}` +
              ` @ ${run.sha.slice(0, 7)} (${run.branch}), by ${run.triggeredBy}\n${gateLines(gate, '  ').join('\n')}\n`,
          );
        }
      } finally {
        store.close();
      }
    });
};
