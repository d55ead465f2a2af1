/** One sandbox instance of a repository: where its state lives, its lock, and the checks every command runs first. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { hostPaths, type Layout, layoutOf } from './layout.ts';
import { DEFAULT_INSTANCE, type HostPlan, planSandbox } from './plan.ts';
import { currentMachine, preflight } from './preflight.ts';
import { type Membership, namespaceId } from './processes.ts';
import { readState, type SandboxState } from './state.ts';

/** Raised when the machine cannot run the sandbox; nothing was created. */
export class SandboxPreflightError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(problems.join('\n'));
    this.problems = problems;
  }
}

/** Which instance of which repository. */
export interface SandboxTarget {
  repoRoot: string;
  name?: string;
}

/** Where every instance of a repository keeps its state. */
export function sandboxRoot(repoRoot: string): string {
  return join(repoRoot, '.slipway', 'sandbox');
}

/** State directory of the instance. */
export function stateDirOf(t: SandboxTarget): string {
  return join(sandboxRoot(t.repoRoot), t.name ?? DEFAULT_INSTANCE);
}

/** Inventories root of the instance: the repo's inventories/sandbox for the demo, its state dir otherwise. */
export function inventoriesRootOf(t: SandboxTarget, layout: Layout): string {
  return (t.name ?? DEFAULT_INSTANCE) === DEFAULT_INSTANCE
    ? join(t.repoRoot, 'inventories', 'sandbox')
    : layout.inventoriesDir;
}

/** What marks a process as the host's: its namespaces and the cgroup of its containers. */
export function membership(host: HostPlan, layout: Layout): Membership {
  const paths = hostPaths(layout, host.name);
  const namespaces = [
    namespaceId('mnt', paths.mntNs),
    namespaceId('pid', paths.pidNs),
    namespaceId('net', `/run/netns/${host.netns}`),
  ].filter((n): n is string => n !== undefined);
  return { namespaces, cgroup: host.cgroupParent };
}

/** Lock file serializing changes to the instance (outside its state dir, which `down` removes). */
export function lockFileOf(t: SandboxTarget): string {
  return join(sandboxRoot(t.repoRoot), `${t.name ?? DEFAULT_INSTANCE}.lock`);
}

/** Throws SandboxPreflightError unless the machine can run the sandbox (plus `extra` programs). */
export async function checkMachine(
  extra: ReadonlyArray<{ program: string; pkg: string }> = [],
): Promise<void> {
  const problems = await preflight(currentMachine(), extra);
  if (problems.length > 0) throw new SandboxPreflightError(problems);
}

/** The layout, state and plan of one host of a running instance. */
export function loadHost(
  t: SandboxTarget,
  host: string,
): { layout: Layout; state: SandboxState; plan: HostPlan } {
  const layout = layoutOf(stateDirOf(t));
  const state = readState(layout.stateFile);
  if (!state) throw new Error(`sandbox ${t.name ?? DEFAULT_INSTANCE} is not up`);
  const plan = planSandbox(state.name, state.index, state.hosts).hosts.find((x) => x.name === host);
  if (!plan) throw new Error(`sandbox ${state.name} has no host ${host}`);
  return { layout, state, plan };
}

/** Names of the instances that have a state directory in the repository. */
export function listInstances(repoRoot: string): string[] {
  try {
    return readdirSync(sandboxRoot(repoRoot), { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
  } catch {
    return [];
  }
}
