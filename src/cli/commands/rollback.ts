import { relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { chooseRelease, findDeployJob } from '../../deploy/rollback-target.ts';
import { DIGEST_OVERRIDE } from '../../steps/deploy.ts';
import { stepKind, stepName } from '../../steps/registry.ts';
import { executeWithProgress } from '../execute-run.ts';
import { ExitCode } from '../exit-codes.ts';
import { headCommit } from '../git-commit.ts';
import { loadRepoForCommand, repoFlags } from '../repo-config.ts';
import { openRunStore, operator } from '../run-session.ts';
import type { RegisterCommand } from './index.ts';

/**
 * `slipway rollback ENV [RELEASE]`: redeploys a recorded digest (default: the one before the live one)
 * through the environment's own deploy job, gates included; nothing is rebuilt.
 */
export const registerRollback: RegisterCommand = (program) => {
  program
    .command('rollback')
    .description(
      'redeploy a recorded release (default: the previous one) through the same gates, without rebuilding',
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
        const repo = await loadRepoForCommand(cmd);
        if (!repo) return;
        const store = await openRunStore(cmd);
        try {
          let target: ReturnType<typeof chooseRelease> & ReturnType<typeof findDeployJob>;
          try {
            const chosen = chooseRelease(store.releases.list(env, { limit: 10_000 }), env, flags.app, wanted);
            target = { ...chosen, ...findDeployJob(repo.pipelines, env, chosen.app) };
          } catch (err) {
            process.stderr.write(`slipway: ${(err as Error).message}\n`);
            process.exitCode = ExitCode.InvalidConfig;
            return;
          }
          const { pipeline, job } = target;
          const commit = await headCommit(repo.root);
          const { name } = operator(repo);
          // A run of the deploy job alone: its needs (build, push, earlier environments) already ran for
          // this digest, and the digest comes from the ledger instead of a push.
          const runId = store.transaction(() => {
            const id = store.runs.create({
              pipeline: pipeline.pipeline.name,
              pipelineFile: relative(repo.root, resolve(repo.root, pipeline.file)),
              repoRoot: repo.root,
              inventoriesRoot: repoFlags(cmd).load.inventoriesRoot,
              sha: commit.sha,
              branch: commit.branch,
              authorName: commit.authorName,
              authorEmail: commit.authorEmail,
              triggeredBy: name,
              channel: 'cli',
              jobs: [
                {
                  name: job,
                  needs: [],
                  environment: env,
                  steps: pipeline.pipeline.jobs[job]!.steps.map((s) => ({
                    kind: stepKind(s),
                    name: stepName(s),
                  })),
                },
              ],
            });
            store.runs.setOutput(id, DIGEST_OVERRIDE, target.release.digest);
            store.locks.enqueue(id, [env]);
            return id;
          });
          if (!flags.json) {
            process.stderr.write(
              `run ${runId}: rollback of ${target.app} in ${env} to release ${target.release.releaseId} ` +
                `(${target.release.digest.slice(0, 19)}, live: ${target.currentDigest.slice(0, 19)})\n`,
            );
          }
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
      },
    );
};
