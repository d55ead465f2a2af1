import type { Command } from 'commander';
import { jobOrder } from '../../config/job-graph.ts';
import type { ApprovalPolicy } from '../../config/schema/approval.ts';
import type { Job } from '../../config/schema/pipeline.ts';
import type { OpsRepo, PipelineFile } from '../../config/types.ts';
import { gateLine } from '../../steps/kinds/gate-line.ts';
import { describeStep } from '../../steps/kinds/index.ts';
import { localTimeZone } from '../../util/cron.ts';
import { formatDuration } from '../../util/format.ts';
import { CliError } from '../errors.ts';
import { loadRepoForCommand } from '../repo-config.ts';
import type { RegisterCommand } from './index.ts';

/** `slipway describe [PIPELINE]`: each pipeline's jobs in run order with environment, gate, steps and target hosts. */
export const registerDescribe: RegisterCommand = (program) => {
  program
    .command('describe')
    .description('show what each pipeline would do: jobs in order, gates, steps and target hosts')
    .argument('[pipeline]', 'pipeline name or file (default: all)')
    .action(async (which: string | undefined, _opts: unknown, cmd: Command) => {
      const repo = await loadRepoForCommand(cmd);
      const chosen = repo.pipelines.filter(
        (p) =>
          which === undefined ||
          p.pipeline.name === which ||
          p.file === which ||
          p.file.endsWith(`/${which}`),
      );
      if (chosen.length === 0) {
        const names = repo.pipelines.map((p) => p.pipeline.name).join(', ');
        throw new CliError(`no pipeline "${which}" (pipelines: ${names})`);
      }
      process.stdout.write(`${chosen.map((p) => describePipeline(repo, p)).join('\n\n')}\n`);
    });
};

function gate(policy: ApprovalPolicy): string {
  return `gate: approval ${gateLine(policy)}`;
}

function jobLines(repo: OpsRepo, p: PipelineFile, name: string, job: Job, index: number): string[] {
  const inv = job.environment ? repo.inventories.get(job.environment) : undefined;
  const head = [`${index}. ${name}`];
  if (job.needs.length > 0) head.push(`needs ${job.needs.join(', ')}`);
  head.push(job.environment ? `env ${job.environment}` : 'on the runner');
  if (job.timeout !== undefined) head.push(`timeout ${formatDuration(job.timeout)}`);
  if (job.retries > 0) head.push(`retries ${job.retries}`);
  const lines = [`  ${head.join('  ')}`];
  if (job.approval) lines.push(`       ${gate(job.approval)}`);
  const ctx = {
    pipeline: p.pipeline,
    inventory: inv,
    accessFiles: repo.accessFiles,
    sitesFiles: repo.sitesFiles,
  };
  for (const step of job.steps) lines.push(`       ${describeStep(step, ctx)}`);
  return lines;
}

function triggers(p: PipelineFile): string {
  const on = p.pipeline.on;
  const parts: string[] = [];
  if (on.push) {
    const refs = [...on.push.branches, ...on.push.tags.map((t) => `tag ${t}`)];
    parts.push(
      `push to ${refs.join(', ') || 'any branch'}${on.push.paths.length ? ` touching ${on.push.paths.join(', ')}` : ''}`,
    );
  }
  if (on.poll) parts.push(`poll ${on.poll.branch} every ${formatDuration(on.poll.interval)}`);
  for (const e of on.schedule ?? [])
    parts.push(
      `${e.mode === 'plan' ? 'drift check' : 'run'} of ${e.branch} at "${e.cron}" (${localTimeZone()})`,
    );
  if (on.manual) parts.push('manual');
  return parts.join('; ');
}

/** The job graph of one pipeline as text. */
export function describePipeline(repo: OpsRepo, p: PipelineFile): string {
  const lines = [`pipeline ${p.pipeline.name} (${p.file})`, `  on: ${triggers(p)}`];
  jobOrder(p.pipeline.jobs).forEach((name, i) => {
    lines.push(...jobLines(repo, p, name, p.pipeline.jobs[name]!, i + 1));
  });
  return lines.join('\n');
}
