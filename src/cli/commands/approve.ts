import type { Command } from 'commander';
import { submitDecision } from '../../approvals/service.ts';
import { CliError } from '../errors.ts';
import { executeWithProgress } from '../execute-run.ts';
import { loadTrustedForCommand } from '../repo-config.ts';
import { openRunStore, operator, runIdArg } from '../run-session.ts';
import type { RegisterCommand } from './index.ts';

/**
 * `slipway approve RUN [JOB]` / `slipway reject RUN [JOB] --reason ...`: a decision as the local operator
 * (OS account mapped to a person through slipway.yml on the default branch). When an approval opens the gate of a run no process is
 * executing, this process continues it (unless --no-continue).
 */
export const registerApprove: RegisterCommand = (program) => {
  program
    .command('approve')
    .description('approve a pending gate as the local operator')
    .argument('<run>', 'run number')
    .argument('[job]', 'the gated job, when the run has several pending gates')
    .option('--no-continue', 'only record the approval; leave continuing to `slipway resume` or the server')
    .option('--json', 'stream NDJSON events when continuing the run')
    .action(
      async (
        runArg: string,
        job: string | undefined,
        flags: { continue: boolean; json?: boolean },
        cmd: Command,
      ) => {
        await decideFromCli(cmd, runIdArg(runArg), job, 'approve', undefined, flags);
      },
    );
};

/** Records a CLI decision, prints the verdict, and continues the run when the gate opened. */
export async function decideFromCli(
  cmd: Command,
  runId: number,
  job: string | undefined,
  decision: 'approve' | 'reject',
  reason: string | undefined,
  flags: { continue?: boolean; json?: boolean },
): Promise<void> {
  const trusted = await loadTrustedForCommand(cmd);
  const { actor, name } = operator(trusted.policy);
  const store = await openRunStore(cmd);
  try {
    const verdict = await submitDecision(store, {
      runId,
      job,
      actor,
      decision,
      reason,
      policy: trusted.source,
    });
    if (!verdict.accepted) throw new CliError(`refused: ${verdict.reason}`);
    process.stderr.write(`${verdict.reason}\n`);
    const run = store.runs.get(runId)!;
    // A change of policy is settled by its decision: there is nothing to continue.
    if (run.kind === 'policy') {
      if (run.reason) process.stderr.write(`${run.reason}\n`);
      return;
    }
    const opened = verdict.gate?.status === 'approved' || verdict.gate?.status === 'rejected';
    if (!opened || run.owner) return; // more approvals needed, or a live process takes it from here
    if (flags.continue === false) {
      process.stderr.write(`continue with: slipway resume ${runId}\n`);
      return;
    }
    process.exitCode = await executeWithProgress({
      store,
      runId,
      policy: trusted.source,
      actor: name,
      json: flags.json,
    });
  } finally {
    store.close();
  }
}
