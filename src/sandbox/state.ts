import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ProcRef } from './processes.ts';

/** Processes started for one host. */
export interface HostProcs {
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
  registry?: ProcRef;
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
