import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { execa } from 'execa';

/** Result of a command that was allowed to fail. */
export interface RunResult {
  ok: boolean;
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
}

/** Options of `run`. */
export interface RunOptions {
  input?: string | Buffer;
  timeoutMs?: number;
  /** Working directory (default: this process's). */
  cwd?: string;
}

/** Runs argv and throws with its stderr when it fails. */
export async function run(argv: readonly string[], opts: RunOptions = {}): Promise<string> {
  const r = await tryRun(argv, opts);
  if (!r.ok) {
    const detail = (r.stderr || r.stdout).trim().split('\n').slice(-5).join('\n');
    throw new Error(`\`${argv.join(' ')}\` failed (exit ${r.exitCode ?? 'signal'}): ${detail}`);
  }
  return r.stdout;
}

/** Runs argv and reports the outcome instead of throwing. */
export async function tryRun(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const [file, ...args] = argv;
  if (!file) throw new Error('empty command');
  const r = await execa(file, args, {
    reject: false,
    stdin: opts.input === undefined ? 'ignore' : 'pipe',
    input: opts.input,
    timeout: opts.timeoutMs ?? 60_000,
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
    stripFinalNewline: true,
  });
  return {
    ok: r.exitCode === 0 && !r.failed,
    exitCode: r.exitCode,
    stdout: String(r.stdout ?? ''),
    stderr: String(r.stderr ?? ''),
  };
}

/** Runs each argv in order, stopping at the first failure. */
export async function runAll(cmds: readonly (readonly string[])[]): Promise<void> {
  for (const argv of cmds) await run(argv);
}

/**
 * Starts a long-lived daemon that outlives this process: its own session (so a Ctrl-C of the CLI does
 * not reach it), stdin closed, stdout and stderr appended to `logFile`. Returns its pid. Plain
 * child_process rather than execa because nothing here may wait on or reject with the daemon's exit.
 */
export function spawnDaemon(argv: readonly string[], logFile: string): number {
  const [file, ...args] = argv;
  if (!file) throw new Error('empty command');
  const fd = openSync(logFile, 'a', 0o600);
  try {
    const child = spawn(file, args, { detached: true, stdio: ['ignore', fd, fd] });
    child.on('error', () => {});
    child.unref();
    if (child.pid === undefined) throw new Error(`could not start ${file}`);
    return child.pid;
  } finally {
    closeSync(fd);
  }
}
