import type { Command } from 'commander';
import type { Pipeline } from '../../config/schema/pipeline.ts';
import { selectJobs } from '../../engine/dag.ts';
import { planJobs } from '../../engine/plan.ts';
import { heldSecretValues, resolveSecrets, vaultValues } from '../../engine/secrets.ts';
import { maskText, maskValues } from '../../logs/masker.ts';
import { dirtyTree, pathsRead } from '../clean-tree.ts';
import { asInvalidConfig } from '../errors.ts';
import { headCommit } from '../git-commit.ts';
import { planLines } from '../render/format.ts';
import { loadRepoForCommand, policySourceFor } from '../repo-config.ts';
import { findPipeline, operatorName } from '../run-session.ts';
import type { RegisterCommand } from './index.ts';

/** `slipway plan PIPELINE`: what each job would change, per host, without running anything. */
export const registerPlan: RegisterCommand = (program) => {
  program
    .command('plan')
    .description('print what each job of a pipeline would change, without changing anything')
    .argument('<pipeline>', 'pipeline file or name')
    .option('--job <name...>', 'only these jobs (and the jobs they need)')
    .option('--json', 'print JSON')
    .action(async (pipelineArg: string, flags: { job?: string[]; json?: boolean }, cmd: Command) => {
      const repo = await loadRepoForCommand(cmd);
      const pipeline = findPipeline(repo, pipelineArg);
      const jobs = asInvalidConfig(() => selectJobs(pipeline.pipeline, flags.job));
      const commit = await headCommit(repo.root).catch(() => ({ sha: 'unknown', branch: 'unknown' }));
      await warnIfDirty(repo.root, pipeline.pipeline);
      const secrets = resolveSecrets(pipeline.pipeline);
      const masked = maskValues([...secrets.values(), ...heldSecretValues(), ...vaultValues(repo)]);
      reportSecretProblems(secrets.problems(jobs.map((j) => pipeline.pipeline.jobs[j]?.environment)));
      const plans = await planJobs(
        {
          repo,
          pipeline,
          run: {
            id: 'plan',
            sha: commit.sha,
            branch: commit.branch,
            triggeredBy: await operatorName(policySourceFor(cmd)),
          },
          workdir: repo.root,
          secrets,
          log: (line) => process.stderr.write(`  ${maskText(line, masked)}\n`),
        },
        jobs,
      );
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(Object.fromEntries(plans), null, 2)}\n`);
        return;
      }
      for (const [job, plan] of plans) {
        const def = pipeline.pipeline.jobs[job]!;
        const gate = def.approval
          ? ` (gate: ${def.approval.required} of ${def.approval.approvers.join(', ')})`
          : '';
        process.stdout.write(
          `${job}${def.environment ? ` [${def.environment}]` : ''}${gate}\n${planLines(plan, '  ').join('\n')}\n`,
        );
      }
    });
};

/** A plan may show uncommitted edits, but says so: no run of them would be allowed. */
async function warnIfDirty(root: string, pipeline: Pipeline): Promise<void> {
  const d = await dirtyTree(root, pathsRead(pipeline)).catch(() => undefined);
  if (!d || d.changed.length + d.untracked.length === 0) return;
  process.stderr.write(
    `warning: this plan includes uncommitted edits (${[...d.changed, ...d.untracked].join(', ')}); ` +
      '`slipway run` refuses a dirty working tree: commit or stash them first\n',
  );
}

/** Names every secret the selected jobs could not read here (secret and source, never a value). */
function reportSecretProblems(problems: string[]): void {
  if (problems.length === 0) return;
  process.stderr.write(
    `warning: secrets this process cannot resolve (the process that executes the run must):\n${problems.map((p) => `  ${p}`).join('\n')}\n`,
  );
}
