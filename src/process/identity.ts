import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Owner, ProcessRef } from '../store/types.ts';

/**
 * A token unique to a process for this boot: the kernel boot id plus the pid's start time in clock ticks
 * (/proc/<pid>/stat field 22). A pid reused after a crash has a different token.
 */
export function processStartToken(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: count fields after its closing paren.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' || fields[0] === 'X') return undefined; // exited, not yet reaped
    return `${bootId()}:${fields[19]}`;
  } catch {
    return undefined;
  }
}

let cachedBootId: string | undefined;
function bootId(): string {
  cachedBootId ??= readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  return cachedBootId;
}

/** The identity of this process as the owner of runs and locks. */
export function currentOwner(): Owner {
  return {
    pid: process.pid,
    host: hostname(),
    start: processStartToken(process.pid) ?? `pid:${process.pid}`,
  };
}

/** The identity of a process on this host (e.g. a step's child). */
export function processRef(pid: number): ProcessRef {
  return { pid, start: processStartToken(pid) ?? `pid:${pid}` };
}

/** True while the process is the same one that was recorded (same pid and start token). */
export function isProcessAlive(ref: ProcessRef): boolean {
  return processStartToken(ref.pid) === ref.start;
}

/**
 * Whether an owner still runs. On this host: by pid and start token. On another host we cannot look,
 * so only a heartbeat older than `staleMs` counts as dead.
 */
export function isOwnerAlive(
  owner: Owner,
  heartbeatAt: number | undefined,
  staleMs: number,
  now = Date.now(),
): boolean {
  if (owner.host === hostname()) return isProcessAlive(owner);
  return heartbeatAt !== undefined && now - heartbeatAt < staleMs;
}
