import { constants } from 'node:os';
import { execa } from 'execa';
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

/**
 * Runs a local process for a transport (the ssh client, or the command itself) and maps timeout
 * and abort to errors naming `host`; a non-zero exit is returned as a result.
 */
export async function runProcess(
  host: string,
  file: string,
  args: readonly string[],
  shownArgv: readonly string[],
  opts: ExecOptions = {},
): Promise<ExecResult> {
  const result = await execa(file, args, {
    reject: false,
    stripFinalNewline: false,
    extendEnv: true,
    ...(opts.stdin === undefined ? { stdin: 'ignore' as const } : { input: opts.stdin }),
    ...(opts.timeoutMs === undefined ? {} : { timeout: opts.timeoutMs }),
    ...(opts.signal === undefined ? {} : { cancelSignal: opts.signal }),
    forceKillAfterDelay: 2000,
  });
  if (result.timedOut) throw new TransportTimeoutError(host, shownArgv, opts.timeoutMs ?? 0);
  if (result.isCanceled) throw opts.signal?.reason ?? new TransportError(host, 'canceled');
  // Killed by a signal (not ours): report it the way a shell would, as 128 + signal number.
  if (result.exitCode === undefined && result.signal) {
    const exitCode = 128 + (constants.signals[result.signal] ?? 0);
    return { stdout: String(result.stdout), stderr: String(result.stderr), exitCode };
  }
  if (result.exitCode === undefined) {
    throw new TransportError(host, `could not run ${file}: ${result.originalMessage || result.shortMessage}`);
  }
  return { stdout: String(result.stdout), stderr: String(result.stderr), exitCode: result.exitCode };
}
