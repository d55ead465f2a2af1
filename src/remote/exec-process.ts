import { constants } from 'node:os';
import { execa, type ResultPromise } from 'execa';
import { escalate, killGroup } from './process-group.ts';
import type { ExecOptions, ExecResult } from './transport.ts';
import { TransportError, TransportTimeoutError } from './transport.ts';

/** Wraps argv in `env NAME=VALUE ...` so the variables reach the command without a shell. */
export function withEnv(argv: readonly string[], env: Record<string, string> | undefined): string[] {
  if (argv.length === 0) throw new Error('empty argv');
  if (!env || Object.keys(env).length === 0) return [...argv];
  const assignments = Object.entries(env).map(([name, value]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`invalid environment variable name ${name}`);
    return `${name}=${value}`;
  });
  return ['env', '--', ...assignments, ...argv];
}

/** How a transport stops a command on timeout or abort. */
export interface StopHooks {
  /** Called once the process exists (e.g. to watch its output). */
  onSpawn?(child: ResultPromise): void;
  /** Delivers one signal of the escalation; default: the local process group. */
  send?(signal: NodeJS.Signals, child: ResultPromise): Promise<void> | void;
}

/** Grace period between SIGTERM and SIGKILL when a command is stopped. */
export const KILL_GRACE_MS = 2000;

/**
 * Runs a local process (detached, so its whole group can be signalled) for a transport, and maps
 * timeout and abort to errors naming `host`; a non-zero exit is returned as a result.
 */
export async function runProcess(
  host: string,
  file: string,
  args: readonly string[],
  shownArgv: readonly string[],
  opts: ExecOptions = {},
  hooks: StopHooks = {},
): Promise<ExecResult> {
  opts.signal?.throwIfAborted();
  const child = execa(file, args, {
    reject: false,
    stripFinalNewline: false,
    detached: true,
    ...(opts.stdin === undefined ? { stdin: 'ignore' as const } : { input: opts.stdin }),
  });
  hooks.onSpawn?.(child);
  let stopped: 'timeout' | 'abort' | undefined;
  const stop = (why: 'timeout' | 'abort') => {
    if (stopped) return;
    stopped = why;
    const send = hooks.send ?? ((signal: NodeJS.Signals) => killGroup(child.pid, signal));
    void escalate((s) => send(s, child), ['SIGTERM', 'SIGKILL'], KILL_GRACE_MS, child).catch(() => {
      killGroup(child.pid, 'SIGKILL');
    });
  };
  const timer = opts.timeoutMs === undefined ? undefined : setTimeout(() => stop('timeout'), opts.timeoutMs);
  const onAbort = () => stop('abort');
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const result = await child;
  clearTimeout(timer);
  opts.signal?.removeEventListener('abort', onAbort);

  if (stopped === 'timeout') throw new TransportTimeoutError(host, shownArgv, opts.timeoutMs ?? 0);
  if (stopped === 'abort') throw opts.signal?.reason ?? new TransportError(host, 'canceled');
  const stdout = String(result.stdout);
  const stderr = String(result.stderr);
  // Killed by a signal (not ours): report it the way a shell would, as 128 + signal number.
  if (result.exitCode === undefined && result.signal) {
    return { stdout, stderr, exitCode: 128 + (constants.signals[result.signal] ?? 0) };
  }
  if (result.exitCode === undefined) {
    throw new TransportError(host, `could not run ${file}: ${result.originalMessage || result.shortMessage}`);
  }
  return { stdout, stderr, exitCode: result.exitCode };
}
