import type { Command } from 'commander';
import { ConfigErrorList } from '../../config/errors.ts';
import type { OpsRepo } from '../../config/types.ts';
import { createRerun, failedRun, RerunRefused, rerunPipeline } from '../../engine/rerun.ts';
import type { RunRecord } from '../../store/types.ts';
import { checkedOutSha } from '../../triggers/checkout.ts';
import { loadRunTrees } from '../../triggers/run-trees.ts';
import { asInvalidConfig, refusedAs } from '../errors.ts';
import { executeNewRun } from '../execute-run.ts';
import { loadTrustedForCommand } from '../repo-config.ts';
import { refuseUnready } from '../run-preflight.ts';
import { openRunStore, operator, runIdArg } from '../run-session.ts';
import type { RegisterCommand } from './index.ts';

/**
 * `slipway rerun RUN`: a new run of a failed run's commit and pipeline that executes its failed jobs and
 * what depends on them, from the digest it pushed, taking over its approvals where the plan is unchanged.
 */
export const registerRerun: RegisterCommand = (program) => {
  program
    .command('rerun')
    .description(
      "re-run a failed run's failed jobs (and the jobs that need them) as a new run of the same commit: " +
        'nothing is rebuilt, and a gate keeps its approval when the commit and plan are unchanged',
    )
    .argument('<run>', 'number of the failed run')
    .option('--detach', 'leave the run stored at a gate that opens again and exit 3 instead of waiting')
    .option('--json', 'stream NDJSON events on stdout')
    .action(async (runArg: string, flags: { detach?: boolean; json?: boolean }, cmd: Command) => {
      const runId = runIdArg(runArg);
      const { repo, policy, source } = await loadTrustedForCommand(cmd);
      const store = await openRunStore(cmd);
      try {
        const { run, jobs } = refused(() => failedRun(store, runId));
        // An app repository's run re-runs from the app and ops trees it recorded, not this checkout.
        const at = run.app ? await recordedTrees(run, policy.root) : repo;
        const pipeline = refused(() => rerunPipeline(at, run));
        // A tree serve wrote from a commit holds nothing else; a working tree must hold no edits.
        if (!run.app) await refuseUnready(repo.root, pipeline, jobs, flags.detach);
        const { actor, name } = operator(policy);
        const checkoutSha = await checkedOutSha(at.root, run.sha);
        // A branch the policy in force keeps out of an environment is refused as `slipway run` refuses it.
        const rerun = asInvalidConfig(() =>
          refused(() =>
            createRerun(store, {
              runId,
              repo: at,
              checkoutSha,
              triggeredBy: name,
              triggerIdentity: actor.identity,
              channel: 'cli',
              policy,
            }),
          ),
        );
        if (!flags.json) {
          const digest = store.runs.outputs(rerun.runId)['image.digest'];
          process.stderr.write(
            `run ${rerun.runId}: re-run of run ${runId} (${jobs.join(', ')}) at ${run.sha.slice(0, 12)} (${run.branch})` +
              `${digest ? `, image ${digest.slice(0, 19)} as run ${runId} pushed it` : ''}\n`,
          );
        }
        process.exitCode = await executeNewRun(store, rerun.runId, source, name, flags);
      } finally {
        store.close();
      }
    });
};

/** The run's recorded trees under the policy in force's slipway.yml; every problem when they are invalid now. */
async function recordedTrees(run: RunRecord, policyRoot: string): Promise<OpsRepo> {
  const loaded = await loadRunTrees(run, policyRoot);
  if (!loaded.ok) throw new ConfigErrorList(loaded.errors);
  return loaded.repo;
}

/** A run that cannot be re-run ends the command as a refused request (exit 1), saying why. */
const refused = <T>(attempt: () => T): T => refusedAs(RerunRefused, 'refused', attempt);
