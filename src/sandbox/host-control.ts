/** Acting on one host of a running instance from the machine: run a command in it, stop or start its sshd. */
import { inHost, namespacesOf } from './commands.ts';
import { run } from './exec.ts';
import { loadHost, lockFileOf, type SandboxTarget } from './instance.ts';
import { hostPaths } from './layout.ts';
import { isAlive, type ProcRef, stopProcesses } from './processes.ts';
import { startSshd } from './sshd.ts';
import { withLock, writeState } from './state.ts';

/** Runs argv inside a host's namespaces (as its sshd sessions see the machine) and returns stdout. */
export async function execInHost(
  t: SandboxTarget,
  host: string,
  argv: readonly string[],
  opts: { input?: string } = {},
): Promise<string> {
  const { layout, plan } = loadHost(t, host);
  return run(inHost(namespacesOf(plan, hostPaths(layout, host)), argv), { timeoutMs: 300_000, ...opts });
}

/** Stops a host's sshd (to test unreachable hosts); `startHostSshd` or `up` brings it back. */
export async function stopHostSshd(t: SandboxTarget, host: string): Promise<void> {
  await withLock(lockFileOf(t), async () => {
    const { layout, state } = loadHost(t, host);
    const procs = state.procs[host] ?? {};
    await stopProcesses([procs.sshd].filter((r): r is ProcRef => r !== undefined));
    state.procs[host] = { ...procs, sshd: undefined };
    writeState(layout.stateFile, state);
  });
}

/** Starts a host's sshd again after `stopHostSshd`. */
export async function startHostSshd(t: SandboxTarget, host: string): Promise<void> {
  await withLock(lockFileOf(t), async () => {
    const { layout, state, plan } = loadHost(t, host);
    const procs = state.procs[host] ?? {};
    if (isAlive(procs.sshd)) return;
    state.procs[host] = { ...procs, sshd: await startSshd(plan, hostPaths(layout, host)) };
    writeState(layout.stateFile, state);
  });
}
