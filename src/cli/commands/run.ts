import type { Command } from 'commander';
import { createRun } from '../../engine/create-run.ts';
import { asInvalidConfig } from '../errors.ts';
import { executeWithProgress } from '../execute-run.ts';
import { headCommit } from '../git-commit.ts';
import { loadTrustedForCommand, repoFlags } from '../repo-config.ts';
import { findPipeline, openRunStore, operator } from '../run-session.ts';
import type { RegisterCommand } from './index.ts';

interface RunFlags {
  job?: string[];
  detach?: boolean;
  json?: boolean;
  sha?: string;
  branch?: string;
}

/** `slipway run PIPELINE`: starts a run of the checked-out commit and executes it with live progress. */
export const registerRun: RegisterCommand = (program) => {
  program
    .command('run')
    .description('run a pipeline on the checked-out commit; waits at approval gates unless --detach')
    .argument('<pipeline>', 'pipeline file (pipelines/app.yml) or name')
    .option('--job <name...>', 'run only these jobs (and the jobs they need)')
    .option('--detach', 'leave the run stored at its first approval gate and exit 3 instead of waiting')
    .option('--json', 'stream NDJSON events on stdout')
    .option('--sha <sha>', 'commit to record instead of HEAD (with --branch; for servers)')
    .option('--branch <branch>', 'branch to record instead of the checked-out one')
    .action(async (pipelineArg: string, flags: RunFlags, cmd: Command) => {
      const { repo, policy, source } = await loadTrustedForCommand(cmd);
      const pipeline = findPipeline(repo, pipelineArg);
      const commit =
        flags.sha && flags.branch ? { sha: flags.sha, branch: flags.branch } : await headCommit(repo.root);
      if (flags.branch) commit.branch = flags.branch;
      const { actor, name } = operator(policy);
      const store = await openRunStore(cmd);
      try {
        const runId = asInvalidConfig(() =>
          createRun(store, {
            repo,
            pipeline,
            commit,
            triggeredBy: name,
            triggerIdentity: actor.identity,
            channel: 'cli',
            policy,
            jobs: flags.job,
            inventoriesRoot: repoFlags(cmd).load.inventoriesRoot,
          }),
        );
        if (!flags.json)
          process.stderr.write(
            `run ${runId}: ${pipeline.pipeline.name} at ${commit.sha.slice(0, 12)} (${commit.branch})\n`,
          );
        process.exitCode = await executeWithProgress({
          store,
          runId,
          policy: source,
          actor: name,
          detach: flags.detach,
          json: flags.json,
          fromStart: true,
        });
      } finally {
        store.close();
      }
    });
};
