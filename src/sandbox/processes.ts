import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** A process we started, identified by pid and start time so a reused pid is never mistaken for it. */
export interface ProcRef {
  pid: number;
  start: string;
}

/** The start time (clock ticks since boot) of `pid`, or undefined when it does not exist. */
export function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22; the command name (field 2) may contain spaces, so count from the closing paren.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const state = fields[0];
    if (state === 'Z' || state === 'X') return undefined;
    return fields[19];
  } catch {
    return undefined;
  }
}

/** Waits for the first child of `pid` (e.g. the program nsenter forks into a PID namespace). */
export async function firstChild(pid: number, timeoutMs = 5_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let children = '';
    try {
      children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    } catch {
      throw new Error(`process ${pid} exited before starting its child`);
    }
    if (children) return Number(children.split(' ')[0]);
    if (Date.now() > deadline) throw new Error(`process ${pid} started no child within ${timeoutMs} ms`);
    await sleep(10);
  }
}

/** A reference to the live process `pid`. */
export function refOf(pid: number): ProcRef | undefined {
  const start = startTimeOf(pid);
  return start === undefined ? undefined : { pid, start };
}

/** True when the referenced process still runs (and is the same process). */
export function isAlive(ref: ProcRef | undefined): boolean {
  return ref !== undefined && startTimeOf(ref.pid) === ref.start;
}

/** What marks a process as belonging to a sandbox host. */
export interface Membership {
  /** Inodes of namespaces ("mnt:[123]" form, as readlink of /proc/PID/ns/* shows). */
  namespaces: string[];
  /** Cgroup path prefix (containers of the host's dockerd live below it). */
  cgroup: string;
}

/** The nsfs identity ("mnt:[inode]") of a namespace file, or undefined when it is not one. */
export function namespaceId(kind: 'mnt' | 'net' | 'uts' | 'pid', file: string): string | undefined {
  try {
    const st = statSync(file);
    return st.dev === statSync(`/proc/self/ns/${kind}`).dev ? `${kind}:[${st.ino}]` : undefined;
  } catch {
    return undefined;
  }
}

/** Pids of every process in one of the namespaces or below the cgroup of `m`, except ourselves. */
export function findMembers(m: Membership): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      if (belongs(pid, m)) out.push(pid);
    } catch {
      // The process ended while we looked.
    }
  }
  return out;
}

function belongs(pid: number, m: Membership): boolean {
  for (const kind of ['mnt', 'net', 'pid'] as const) {
    if (m.namespaces.includes(readlinkSync(`/proc/${pid}/ns/${kind}`))) return true;
  }
  const cgroups = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
  return cgroups.split('\n').some((line) => {
    const path = line.slice(line.indexOf(':', line.indexOf(':') + 1) + 1);
    return path === m.cgroup || path.startsWith(`${m.cgroup}/`);
  });
}

/** Sends `signal` to pid, ignoring a process that is already gone. */
function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Already gone.
  }
}

/** Stops processes: SIGTERM, then SIGKILL to whatever still runs after `graceMs`. */
export async function stopProcesses(refs: readonly ProcRef[], graceMs = 5_000): Promise<void> {
  const live = refs.filter(isAlive);
  for (const r of live) signal(r.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (live.some(isAlive) && Date.now() < deadline) await sleep(50);
  for (const r of live) if (isAlive(r)) signal(r.pid, 'SIGKILL');
  // Tearing down a big process (dockerd's threads and memory) can outlast 2 s on a loaded machine.
  const killDeadline = Date.now() + 10_000;
  while (live.some(isAlive) && Date.now() < killDeadline) await sleep(20);
}

/** Kills every process that belongs to a host, repeating while new ones appear (children of dying ones). */
export async function killMembers(m: Membership): Promise<number> {
  const killed: ProcRef[] = [];
  for (let round = 0; round < 20; round++) {
    const refs = findMembers(m)
      .map(refOf)
      .filter((r): r is ProcRef => r !== undefined);
    if (refs.length === 0) {
      // A dying process leaves its namespaces before it is gone (a slow exit under load can take
      // seconds), so no longer being a member does not yet mean dead: wait for each one killed.
      const deadline = Date.now() + 10_000;
      while (killed.some(isAlive) && Date.now() < deadline) await sleep(20);
      if (killed.some(isAlive)) break;
      return killed.length;
    }
    killed.push(...refs);
    for (const r of refs) signal(r.pid, 'SIGKILL');
    const deadline = Date.now() + 2_000;
    while (refs.some(isAlive) && Date.now() < deadline) await sleep(20);
  }
  throw new Error(`processes of ${m.cgroup} keep running after SIGKILL`);
}

/** Pids among `pids` (default: every process) whose command line (words joined by spaces) satisfies `match`. */
export function findByCommandLine(match: (cmdline: string) => boolean, pids?: readonly number[]): number[] {
  const candidates = pids ?? readdirSync('/proc').map(Number).filter(Number.isInteger);
  return candidates.filter((pid) => {
    try {
      return match(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim());
    } catch {
      return false;
    }
  });
}
