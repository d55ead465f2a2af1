import type { Command } from 'commander';
import { selectJobs } from '../../engine/dag.ts';
import { planJobs } from '../../engine/plan.ts';
import { resolveSecrets } from '../../engine/secrets.ts';
import { maskText, maskValues } from '../../logs/masker.ts';
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
      const secrets = resolveSecrets(pipeline.pipeline, repo.root);
      const masked = maskValues(secrets.values());
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
