import type { Command } from 'commander';
import { createRun } from '../../engine/create-run.ts';
import { selectJobs } from '../../engine/dag.ts';
import { unresolvedSecrets } from '../../engine/secrets.ts';
import { DirtyTreeError, requireCleanTree } from '../clean-tree.ts';
import { executeWithProgress } from '../execute-run.ts';
import { ExitCode } from '../exit-codes.ts';
import { headCommit } from '../git-commit.ts';
import { loadRepoForCommand, repoFlags } from '../repo-config.ts';
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
      const repo = await loadRepoForCommand(cmd);
      if (!repo) return;
      let pipeline: ReturnType<typeof findPipeline>;
      try {
        pipeline = findPipeline(repo, pipelineArg);
      } catch (err) {
        process.stderr.write(`slipway: ${(err as Error).message}\n`);
        process.exitCode = ExitCode.InvalidConfig;
        return;
      }
      try {
        await requireCleanTree(repo.root, pipeline.pipeline, 'this run');
      } catch (err) {
        if (!(err instanceof DirtyTreeError)) throw err;
        process.stderr.write(`slipway: refused: ${err.message}\n`);
        process.exitCode = ExitCode.Failed;
        return;
      }
      const unresolved = unresolvedSecrets(pipeline.pipeline, selectJobs(pipeline.pipeline, flags.job));
      if (unresolved.length > 0) {
        // Detached, the run may be continued by another process (serve) with its own sources.
        process.stderr.write(
          `slipway: ${flags.detach ? 'warning' : 'refused'}: secrets this process cannot resolve:\n${unresolved.map((p) => `  ${p}`).join('\n')}\n` +
            (flags.detach
              ? 'the process that continues the run (serve, or approve/resume here) must resolve them\n'
              : ''),
        );
        if (!flags.detach) {
          process.exitCode = ExitCode.InvalidConfig;
          return;
        }
      }
      const commit =
        flags.sha && flags.branch ? { sha: flags.sha, branch: flags.branch } : await headCommit(repo.root);
      if (flags.branch) commit.branch = flags.branch;
      const { name } = operator(repo);
      const store = await openRunStore(cmd);
      try {
        let runId: number;
        try {
          runId = createRun(store, {
            repo,
            pipeline,
            commit,
            triggeredBy: name,
            channel: 'cli',
            jobs: flags.job,
            inventoriesRoot: repoFlags(cmd).load.inventoriesRoot,
          });
        } catch (err) {
          process.stderr.write(`slipway: ${(err as Error).message}\n`);
          process.exitCode = ExitCode.InvalidConfig;
          return;
        }
        if (!flags.json)
          process.stderr.write(
            `run ${runId}: ${pipeline.pipeline.name} at ${commit.sha.slice(0, 12)} (${commit.branch})\n`,
          );
        process.exitCode = await executeWithProgress({
          store,
          runId,
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
