import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ProcRef } from './processes.ts';
import type { RegistryAuth } from './registry.ts';

/** Processes started for one host. */
export interface HostProcs {
  /** Holds the host's PID namespace: killing it ends every process of the host. */
  init?: ProcRef;
  sshd?: ProcRef;
  dockerd?: ProcRef;
}

/**
 * What an instance made, written before each thing is made so that `down` can undo a crashed `up`.
 * The plan itself is recomputed from name, index and hosts.
 */
export interface SandboxState {
  version: 1;
  name: string;
  index: number;
  hosts: string[];
  /** Thin hosts: sshd only (no dockerd), and no registry (see `upThin`). */
  thin?: boolean;
  /** Bare hosts: their own Debian rootfs with sshd only, and a registry (see `up` with `bare`). */
  bare?: boolean;
  registry?: ProcRef;
  /** How the registry authenticates; absent in instances made before token mode: basic. */
  registryAuth?: RegistryAuth;
  /** The token service of a registry in token mode. */
  tokenService?: ProcRef;
  procs: Record<string, HostProcs>;
}

/** Reads the state file, or undefined when there is none. */
export function readState(file: string): SandboxState | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const s = JSON.parse(text) as SandboxState;
  if (s.version !== 1) throw new Error(`${file}: unknown sandbox state version ${String(s.version)}`);
  return s;
}

/** Writes the state file atomically, readable by root only. */
export function writeState(file: string, state: SandboxState): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
}

/** Indexes used by the instances under `sandboxRoot` (one state dir per instance), except `exclude`. */
export function takenIndexes(sandboxRoot: string, exclude: string): Set<number> {
  const taken = new Set<number>();
  let names: string[];
  try {
    names = readdirSync(sandboxRoot);
  } catch {
    return taken;
  }
  for (const n of names) {
    if (n === exclude) continue;
    try {
      const s = readState(join(sandboxRoot, n, 'state.json'));
      if (s) taken.add(s.index);
    } catch {
      // A damaged state file of another instance: its index stays unknown.
    }
  }
  return taken;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Runs `fn` holding the lock file `file` (created exclusively, holding our pid), so two processes never
 * change one instance at once; a lock left by a dead process is taken over.
 */
export async function withLock<T>(file: string, fn: () => Promise<T>, timeoutMs = 600_000): Promise<T> {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = Number(readFileSync(file, 'utf8').trim() || '0');
    if (holder === process.pid) throw new Error(`${file} is already held by this process`);
    // An empty file is a lock being written right now, unless it has stayed empty for long.
    if (holder ? !pidAlive(holder) : Date.now() - statSync(file).mtimeMs > 5_000) {
      rmSync(file, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${file} (held by pid ${holder})`);
    await sleep(200);
  }
  try {
    return await fn();
  } finally {
    rmSync(file, { force: true });
  }
}
