import { relative, resolve } from 'node:path';
import type { ApprovalPolicy } from '../config/schema/approval.ts';
import type { Job } from '../config/schema/pipeline.ts';
import type { Project } from '../config/schema/project.ts';
import type { OpsRepo } from '../config/types.ts';
import type { GatePolicy } from '../store/types.ts';
import { branchAllowed } from './branches.ts';

/** The gates a job has on the trusted ref: before the job, and at `approval` steps (by index). */
export interface TrustedJob {
  environment?: string;
  gate?: GatePolicy;
  steps: Map<number, GatePolicy>;
}

/**
 * Policy as the ops repository's default branch states it: environments, teams, people and every gate.
 * Gates, branch allowlists and identities come from here, never from the commit a run deploys.
 */
export interface TrustedPolicy {
  /** The ref it was read from (`refs/heads/main`) and the commit it pointed to. */
  ref: string;
  sha: string;
  /** The checked-out tree of that commit: its slipway.yml is the one runs load. */
  root: string;
  project: Project;
  /** Repository-relative pipeline file -> job name -> its gates. */
  pipelines: Map<string, Map<string, TrustedJob>>;
  /** Who wrote that commit, as Git records it (the proposer of a change of policy). */
  author?: { name?: string; email?: string };
}

/** The trusted policy of a repository loaded at the trusted ref. */
export function trustedPolicyOf(repo: OpsRepo, ref: string, sha: string): TrustedPolicy {
  const pipelines = new Map<string, Map<string, TrustedJob>>();
  for (const file of repo.pipelines) {
    const jobs = new Map<string, TrustedJob>();
    for (const [name, job] of Object.entries(file.pipeline.jobs)) {
      const steps = new Map<number, GatePolicy>();
      job.steps.forEach((s, i) => {
        if ('approval' in s) steps.set(i, toGatePolicy(s.approval));
      });
      jobs.set(name, {
        environment: job.environment,
        gate: job.approval && toGatePolicy(job.approval),
        steps,
      });
    }
    pipelines.set(pipelineKey(repo.root, file.file), jobs);
  }
  return { ref, sha, root: repo.root, project: repo.project, pipelines };
}

/** A pipeline file as the policy keys it: relative to the repository root. */
export function pipelineKey(root: string, file: string): string {
  return relative(root, resolve(root, file));
}

/**
 * How the policy keys a run's pipeline file: an app repository's pipeline as `app:file`, which no pipeline of
 * the ops repository matches (their keys are paths under pipelines/), so an app's job never takes the gate
 * of an ops job that happens to share its file and name: it gets the strictest gate of its environment.
 */
export function runPipelineKey(root: string, file: string, app?: string): string {
  const key = pipelineKey(root, file);
  return app === undefined ? key : `${app}:${key}`;
}

/**
 * The gate in front of job `name` of the run's pipeline `file`: the trusted gate of the same job (same file,
 * name and environment), plus any trusted step gate the run's job no longer holds at its place; a job the
 * trusted ref does not know gets the strictest gate of its environment. Undefined: no gate.
 */
export function jobGate(policy: TrustedPolicy, file: string, name: string, job: Job): GatePolicy | undefined {
  const known = trustedJob(policy, file, name, job);
  if (!known) return job.environment ? strictest(environmentGates(policy, job.environment)) : undefined;
  const dropped = [...known.steps].filter(([i]) => !(job.steps[i] && 'approval' in job.steps[i]));
  return strictest([...(known.gate ? [known.gate] : []), ...dropped.map(([, g]) => g)]);
}

/**
 * The gate of the run's `approval` step `idx`: the trusted step gate at the same place, else the strictest
 * gate the trusted job or environment has. An error when the trusted ref has no gate for it at all.
 */
export function stepGate(
  policy: TrustedPolicy,
  file: string,
  name: string,
  job: Job,
  idx: number,
): GatePolicy | { error: string } {
  const known = trustedJob(policy, file, name, job);
  const at = known?.steps.get(idx);
  if (at) return at;
  const fallback = known
    ? strictest([...(known.gate ? [known.gate] : []), ...known.steps.values()])
    : job.environment
      ? strictest(environmentGates(policy, job.environment))
      : undefined;
  return (
    fallback ?? {
      error:
        `approval step ${idx} of job ${name} has no policy on ${policy.ref} (${policy.sha.slice(0, 12)}): ` +
        'gates take their approvers from the default branch; add the gate there first',
    }
  );
}

/** Why `branch` may not deploy to `env` under the trusted policy, or undefined when it may. */
export function branchRefusal(policy: TrustedPolicy, branch: string, env: string): string | undefined {
  const envs = policy.project.environments;
  const at = `${policy.ref} (${policy.sha.slice(0, 12)})`;
  const declared = envs[env];
  // A repository that declares no environment keeps the inventories/<env> convention for every branch.
  if (!declared && Object.keys(envs).length > 0) {
    return `environment ${env} is not declared in slipway.yml on ${at} (declared: ${Object.keys(envs).join(', ')})`;
  }
  const allowed = declared?.branches ?? ['*'];
  if (branchAllowed(branch, allowed)) return undefined;
  return `branch ${branch} may not deploy to ${env}: slipway.yml on ${at} allows ${allowed.join(', ')}`;
}

/** A pipeline's approval policy with durations in milliseconds. */
export function toGatePolicy(p: ApprovalPolicy): GatePolicy {
  return {
    approvers: p.approvers,
    required: p.required,
    allowSelfApproval: p.allow_self_approval,
    waitMs: p.wait ?? 0,
    timeoutMs: p.timeout,
  };
}

function trustedJob(policy: TrustedPolicy, file: string, name: string, job: Job): TrustedJob | undefined {
  const known = policy.pipelines.get(file)?.get(name);
  return known && known.environment === job.environment ? known : undefined;
}

/** Everyone who approves some gate of `env` on the trusted ref (principals, each once). */
export function environmentApprovers(policy: TrustedPolicy, env: string): string[] {
  return [...new Set(environmentGates(policy, env).flatMap((g) => g.approvers))];
}

/** Every gate of jobs deploying to `env`: what a job the policy does not know gets the strictest of. */
export function environmentGates(policy: TrustedPolicy, env: string): GatePolicy[] {
  return [...policy.pipelines.values()].flatMap((jobs) =>
    [...jobs.values()]
      .filter((j) => j.environment === env)
      .flatMap((j) => [...(j.gate ? [j.gate] : []), ...j.steps.values()]),
  );
}

/** Every gate the policy has, in front of jobs and at approval steps. */
export function allGates(policy: TrustedPolicy): GatePolicy[] {
  return [...policy.pipelines.values()].flatMap((jobs) =>
    [...jobs.values()].flatMap((j) => [...(j.gate ? [j.gate] : []), ...j.steps.values()]),
  );
}

/**
 * The strictest of several whole policies (approvers are never mixed across policies): most approvals
 * required, then no self-approval, then the longest wait, then the fewest approvers.
 */
export function strictest(policies: readonly GatePolicy[]): GatePolicy | undefined {
  return [...policies].sort(
    (a, b) =>
      b.required - a.required ||
      Number(a.allowSelfApproval) - Number(b.allowSelfApproval) ||
      b.waitMs - a.waitMs ||
      a.approvers.length - b.approvers.length,
  )[0];
}
