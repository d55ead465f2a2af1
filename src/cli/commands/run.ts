import type { Command } from 'commander';
import { createRun } from '../../engine/create-run.ts';
import { selectJobs } from '../../engine/dag.ts';
import { asInvalidConfig } from '../errors.ts';
import { executeNewRun } from '../execute-run.ts';
import { headCommit } from '../git-commit.ts';
import { loadTrustedForCommand, repoFlags } from '../repo-config.ts';
import { refuseUnready } from '../run-preflight.ts';
import { findPipeline, openRunStore, operator } from '../run-session.ts';
import type { RegisterCommand } from './index.ts';

interface RunFlags {
  job?: string[];
  detach?: boolean;
  json?: boolean;
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
    .action(async (pipelineArg: string, flags: RunFlags, cmd: Command) => {
      const { repo, policy, source } = await loadTrustedForCommand(cmd);
      const pipeline = findPipeline(repo, pipelineArg);
      await refuseUnready(repo.root, pipeline, selectJobs(pipeline.pipeline, flags.job), flags.detach);
      // What is approved is the commit checked out here, on the branch it is: no flag records another.
      const commit = await headCommit(repo.root);
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
        process.exitCode = await executeNewRun(store, runId, source, name, flags);
      } finally {
        store.close();
      }
    });
};
