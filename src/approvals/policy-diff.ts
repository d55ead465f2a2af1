import { describeSecretOrigin } from '../config/schema/common.ts';
import type { App } from '../config/schema/project.ts';
import type { GatePolicy } from '../store/types.ts';
import { isApprover } from './policy.ts';
import { teamMembers } from './teams.ts';
import {
  allGates,
  environmentGates,
  strictest,
  type TrustedJob,
  type TrustedPolicy,
} from './trusted-policy.ts';

/** One difference between the policy in force and a proposed one, as the policy-change gate shows it. */
export interface PolicyChange {
  /** e.g. `pipelines/app.yml job deploy-prod: required 2 -> 1`. */
  text: string;
  /** It lets someone do what the policy in force does not: it takes effect only after an approval. */
  weakens: boolean;
  /** The environments it concerns (their gates decide it); empty: all of them. */
  environments: string[];
}

/** Every difference that matters to who may decide or deploy what, from `old` to `next`. */
export function policyChanges(old: TrustedPolicy, next: TrustedPolicy): PolicyChange[] {
  return [
    ...environmentChanges(old, next),
    ...appChanges(old, next),
    ...gateChanges(old, next),
    ...peopleChanges(old, next),
  ];
}

/**
 * The gate a weakening change is decided at, under the policy in force: the strictest gate of the
 * environments it concerns (of every environment when one change concerns all, or they have no gate).
 * Undefined when the policy in force has no gate at all: there is nobody it asks.
 */
export function ratificationGate(
  old: TrustedPolicy,
  changes: readonly PolicyChange[],
): GatePolicy | undefined {
  const weakening = changes.filter((c) => c.weakens);
  const envs = weakening.some((c) => c.environments.length === 0)
    ? []
    : [...new Set(weakening.flatMap((c) => c.environments))];
  const concerned = envs.flatMap((env) => environmentGates(old, env));
  return strictest(concerned.length ? concerned : allGates(old));
}

function environmentChanges(old: TrustedPolicy, next: TrustedPolicy): PolicyChange[] {
  const before = old.project.environments;
  const after = next.project.environments;
  // With no environment declared, every branch may deploy to every inventories/<env>.
  const openBefore = Object.keys(before).length === 0;
  if (!openBefore && Object.keys(after).length === 0) {
    return [change('environments: none declared any more, every branch may deploy everywhere', true, [])];
  }
  const out: PolicyChange[] = [];
  for (const [env, e] of Object.entries(after)) {
    const was = before[env];
    if (!was) {
      out.push(change(`environment ${env} added (branches ${e.branches.join(', ')})`, !openBefore, [env]));
      continue;
    }
    const added = e.branches.filter((b) => !was.branches.includes(b));
    if (added.length || was.branches.length !== e.branches.length) {
      const widens = added.length > 0 && !was.branches.includes('*');
      out.push(
        change(
          `environment ${env}: branches ${was.branches.join(', ')} -> ${e.branches.join(', ')}`,
          widens,
          [env],
        ),
      );
    }
    const inventory = (x: typeof e) => x.inventory ?? `inventories/${env}`;
    if (inventory(was) !== inventory(e)) {
      out.push(change(`environment ${env}: inventory ${inventory(was)} -> ${inventory(e)}`, true, [env]));
    }
  }
  for (const env of Object.keys(before)) {
    if (!after[env] && !openBefore) out.push(change(`environment ${env} removed`, false, [env]));
  }
  return out;
}

/**
 * Registered app repositories: one registered or pointed at another repository or URL (its pushes run code
 * on the runner), given another environment, another secret source or run steps lets other code do more:
 * weakens, decided at the gates of the app's environments (of every environment when it has none); fewer
 * is not.
 */
function appChanges(old: TrustedPolicy, next: TrustedPolicy): PolicyChange[] {
  const before = old.project.apps;
  const after = next.project.apps;
  const out: PolicyChange[] = [];
  const where = (a: { repository: string; url: string }) => `${a.repository} from ${a.url}`;
  for (const [name, a] of Object.entries(after)) {
    const was = before[name];
    const envs = a.environments.length ? a.environments : Object.keys(next.project.environments);
    if (!was) {
      const text = `app ${name} registered (${where(a)}, environments ${a.environments.join(', ') || 'none'})`;
      out.push(change(text, true, envs));
      continue;
    }
    if (where(was) !== where(a)) out.push(change(`app ${name}: ${where(was)} -> ${where(a)}`, true, envs));
    out.push(...appGrants(name, was, a, envs));
    const added = a.environments.filter((e) => !was.environments.includes(e));
    const removed = was.environments.filter((e) => !a.environments.includes(e));
    if (added.length || removed.length) {
      const text = `app ${name}: environments ${was.environments.join(', ') || 'none'} -> ${a.environments.join(', ') || 'none'}`;
      out.push(change(text, added.length > 0, added.length ? added : removed));
    }
    if (was.pipeline !== a.pipeline)
      out.push(change(`app ${name}: pipeline ${was.pipeline} -> ${a.pipeline}`, false, envs));
  }
  for (const [name, was] of Object.entries(before)) {
    if (!after[name]) out.push(change(`app ${name} removed`, false, was.environments));
  }
  return out;
}

/** An app's image, secret sources and run steps: each one granted weakens, each one taken back does not. */
function appGrants(name: string, was: App, a: App, envs: string[]): PolicyChange[] {
  const out: PolicyChange[] = [];
  const sources = (x: App) => x.secrets.map(describeSecretOrigin);
  const granted = sources(a).filter((s) => !sources(was).includes(s));
  const revoked = sources(was).filter((s) => !sources(a).includes(s));
  if (granted.length || revoked.length) {
    const text = `app ${name}: secret sources ${sources(was).join(', ') || 'none'} -> ${sources(a).join(', ') || 'none'}`;
    out.push(change(text, granted.length > 0, envs));
  }
  if (was.image !== a.image)
    out.push(
      change(
        `app ${name}: image ${was.image ?? 'none'} -> ${a.image ?? 'none'}`,
        a.image !== undefined,
        envs,
      ),
    );
  if (was.run_steps !== a.run_steps)
    out.push(change(`app ${name}: run steps ${a.run_steps ? 'allowed' : 'refused'}`, a.run_steps, envs));
  return out;
}

/** The gates a run of one job meets under a policy: before the job, and at each approval step. */
interface JobGates {
  environment?: string;
  gate?: GatePolicy;
  steps: readonly number[];
  step(idx: number): GatePolicy | undefined;
}

/**
 * Gates compared place by place (pipeline file, job, approval step). A job only one side names is compared
 * with what a run of it gets from the other side: the strictest gate of its environment.
 */
function gateChanges(old: TrustedPolicy, next: TrustedPolicy): PolicyChange[] {
  const out: PolicyChange[] = [];
  const files = new Set([...old.pipelines.keys(), ...next.pipelines.keys()]);
  for (const file of files) {
    const names = new Set([
      ...(old.pipelines.get(file)?.keys() ?? []),
      ...(next.pipelines.get(file)?.keys() ?? []),
    ]);
    for (const name of names) {
      const was = old.pipelines.get(file)?.get(name);
      const is = next.pipelines.get(file)?.get(name);
      const label = `${file} job ${name}`;
      if (was && is && was.environment === is.environment) {
        out.push(...jobChanges(label, knownJob(was), knownJob(is), old, next));
        continue;
      }
      if (was) out.push(...jobChanges(label, knownJob(was), unknownJob(next, was.environment), old, next));
      if (is) out.push(...jobChanges(label, unknownJob(old, is.environment), knownJob(is), old, next));
    }
  }
  return out;
}

/** A job the policy names: its gate, its step gates, else (see stepGate) the strictest of them. */
function knownJob(j: TrustedJob): JobGates {
  const any = strictest([...(j.gate ? [j.gate] : []), ...j.steps.values()]);
  return {
    environment: j.environment,
    gate: j.gate,
    steps: [...j.steps.keys()],
    step: (i) => j.steps.get(i) ?? any,
  };
}

/** A job the policy does not name: the strictest gate of its environment, in front and at every step. */
function unknownJob(policy: TrustedPolicy, environment: string | undefined): JobGates {
  const gate = environment ? strictest(environmentGates(policy, environment)) : undefined;
  return { environment, gate, steps: [], step: () => gate };
}

function jobChanges(
  label: string,
  was: JobGates,
  is: JobGates,
  old: TrustedPolicy,
  next: TrustedPolicy,
): PolicyChange[] {
  const envs = [is.environment ?? was.environment ?? []].flat();
  const compare = (where: string, a?: GatePolicy, b?: GatePolicy) =>
    gateDiff(a, b, old.project.teams, next.project.teams).map(([text, weakens]) =>
      change(`${where}: ${text}`, weakens, envs),
    );
  const steps = [...new Set([...was.steps, ...is.steps])].sort((a, b) => a - b);
  return [
    ...compare(label, was.gate, is.gate),
    ...steps.flatMap((i) => compare(`${label} step ${i}`, was.step(i), is.step(i))),
  ];
}

/** How gate `b` differs from `a`: lines of text, each with whether it weakens. */
function gateDiff(
  a: GatePolicy | undefined,
  b: GatePolicy | undefined,
  oldTeams: Readonly<Record<string, readonly string[]>>,
  newTeams: Readonly<Record<string, readonly string[]>>,
): [string, boolean][] {
  if (!a) return b ? [[`gate added (${b.required} of ${b.approvers.join(', ')})`, false]] : [];
  if (!b) return [['gate removed', true]];
  const out: [string, boolean][] = [];
  if (a.required !== b.required)
    out.push([`required ${a.required} -> ${b.required}`, b.required < a.required]);
  if (a.allowSelfApproval !== b.allowSelfApproval) {
    out.push([b.allowSelfApproval ? 'self-approval allowed' : 'self-approval refused', b.allowSelfApproval]);
  }
  if (a.waitMs !== b.waitMs)
    out.push([`wait ${a.waitMs / 1000}s -> ${b.waitMs / 1000}s`, b.waitMs < a.waitMs]);
  const before = persons(a.approvers, oldTeams);
  const after = persons(b.approvers, newTeams);
  const added = [...after].filter((p) => !before.has(p));
  const removed = [...before].filter((p) => !after.has(p));
  if (added.length || removed.length) {
    const list = [...added.map((p) => `+${p}`), ...removed.map((p) => `-${p}`)].join(' ');
    out.push([`approvers ${list}`, added.length > 0]);
  }
  return out;
}

/** The persons approvers name, directly or through teams. */
function persons(
  approvers: readonly string[],
  teams: Readonly<Record<string, readonly string[]>>,
): Set<string> {
  return new Set(approvers.flatMap((p) => (p.startsWith('@') ? teamMembers(teams, p) : [p])));
}

/**
 * Logins added to or removed from persons, and team members. A login added to a person who approves a
 * gate lets a new identity decide as them: it weakens the environments of those gates.
 */
function peopleChanges(old: TrustedPolicy, next: TrustedPolicy): PolicyChange[] {
  const out: PolicyChange[] = [];
  const gates = [...next.pipelines.values()].flatMap((jobs) =>
    [...jobs.values()].flatMap((j) =>
      [...(j.gate ? [j.gate] : []), ...j.steps.values()].map((g) => ({ g, j })),
    ),
  );
  for (const [person, p] of Object.entries(next.project.people)) {
    const logins = loginsOf(p);
    const had = new Set(loginsOf(old.project.people[person]));
    const added = logins.filter((l) => !had.has(l));
    const removed = [...had].filter((l) => !logins.includes(l));
    if (!added.length && !removed.length) continue;
    const decides = gates.filter(({ g }) => isApprover(person, g.approvers, next.project.teams));
    const envs = [...new Set(decides.flatMap(({ j }) => j.environment ?? []))];
    const list = [...added.map((l) => `+${l}`), ...removed.map((l) => `-${l}`)].join(' ');
    out.push(change(`person ${person}: logins ${list}`, added.length > 0 && decides.length > 0, envs));
  }
  for (const person of Object.keys(old.project.people)) {
    if (!next.project.people[person]) out.push(change(`person ${person} removed`, false, []));
  }
  for (const team of new Set([...Object.keys(old.project.teams), ...Object.keys(next.project.teams)])) {
    const before = new Set(teamMembers(old.project.teams, team));
    const after = new Set(teamMembers(next.project.teams, team));
    const list = [
      ...[...after].filter((m) => !before.has(m)).map((m) => `+${m}`),
      ...[...before].filter((m) => !after.has(m)).map((m) => `-${m}`),
    ].join(' ');
    // Whether it widens a gate is judged at the gates that name the team (their approvers line).
    if (list) out.push(change(`team ${team}: ${list}`, false, []));
  }
  return out;
}

function loginsOf(p: TrustedPolicy['project']['people'][string] | undefined): string[] {
  if (!p) return [];
  const forge = (['github', 'gitea', 'dashboard'] as const).flatMap((c) => (p[c] ? [`${c}:${p[c]}`] : []));
  return [...forge, ...p.os.map((a) => `os:${a}`)];
}

function change(text: string, weakens: boolean, environments: string[]): PolicyChange {
  return { text, weakens, environments };
}
