import type { Command } from 'commander';
import { jobOrder } from '../../config/job-graph.ts';
import type { ApprovalPolicy } from '../../config/schema/approval.ts';
import type { Job } from '../../config/schema/pipeline.ts';
import type { Step } from '../../config/schema/steps.ts';
import type { Inventory, OpsRepo, PipelineFile } from '../../config/types.ts';
import { formatDuration } from '../../dashboard/views/format.ts';
import { stepKind } from '../../steps/registry.ts';
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
  const self = policy.allow_self_approval ? 'self-approval allowed' : 'no self-approval';
  return `gate: approval by ${policy.approvers.join(', ')} (${policy.required} required, timeout ${formatDuration(policy.timeout)}, ${self})`;
}

function targets(inv: Inventory | undefined, group: string | undefined): string {
  if (!inv) return '';
  const name = group ?? 'all';
  const hosts = inv.hosts.has(name) ? [name] : (inv.groups.get(name) ?? []);
  const list = hosts.map((h) => {
    const host = inv.hosts.get(h)!;
    return host.address === h ? h : `${h} (${host.address})`;
  });
  return ` -> ${name}: ${list.join(', ') || 'no hosts'}`;
}

function stepLine(repo: OpsRepo, p: PipelineFile, step: Step, inv: Inventory | undefined): string {
  const kind = stepKind(step);
  const label = step.name ? `${kind} "${step.name}"` : kind;
  if ('run' in step) return `${label}: ${step.run.command.join(' ')}`;
  if ('approval' in step) return gate(step.approval);
  if ('build' in step)
    return `${label}: image ${p.pipeline.image ?? '(no image)'} from ${step.build.context}`;
  if ('push' in step) return `${label}: ${p.pipeline.image ?? '(no image)'} -> digest`;
  if ('ssh-keys' in step) {
    const users = Object.entries(repo.access?.users ?? {})
      .map(([user, u]) => `${user} [${u.keys.join(', ')}] on ${u.hosts.join(', ')}`)
      .join('; ');
    return `${label}: authorized_keys of ${users || 'no users'}${targets(inv, step['ssh-keys'].hosts)}`;
  }
  if ('caddy' in step) {
    const env = inv?.environment;
    const domains = Object.entries(repo.sites?.sites ?? {})
      .filter(([, site]) => !site.environments || (env !== undefined && site.environments.includes(env)))
      .map(([domain]) => domain)
      .join(', ');
    return `${label}: ${domains || 'no sites'}${targets(inv, step.caddy.hosts)}`;
  }
  if ('ansible' in step) return `${label}: ${step.ansible.playbook}${targets(inv, step.ansible.hosts)}`;
  const d = step.deploy;
  return `${label}: app ${d.app ?? p.pipeline.name} (${d.compose}, batch ${d.batch})${targets(inv, d.hosts)}`;
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
  for (const step of job.steps) lines.push(`       ${stepLine(repo, p, step, inv)}`);
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
