import { ConfigErrorList, formatConfigError } from '../config/errors.ts';
import { errorMessage } from '../util/errors.ts';
import { ExitCode } from './exit-codes.ts';

/** An error a command ends with: what to tell the operator, and the exit code scripts see. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number = ExitCode.Failed) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/**
 * Runs a check of the operator's request against the ops repository (a pipeline, job, environment or
 * release that must exist in it): what it refuses ends the command as invalid configuration.
 */
export function asInvalidConfig<T>(check: () => T): T {
  try {
    return check();
  } catch (err) {
    throw err instanceof CliError ? err : new CliError(errorMessage(err), ExitCode.InvalidConfig);
  }
}

/**
 * Runs a request the operator may make in vain (nothing to roll back, a run that did not fail): an error of
 * `kind` ends the command as a failed request (exit 1), its message after `prefix`.
 */
export function refusedAs<T>(
  kind: abstract new (...args: never[]) => Error,
  prefix: string,
  attempt: () => T,
): T {
  try {
    return attempt();
  } catch (err) {
    throw err instanceof kind ? new CliError(`${prefix}: ${err.message}`) : err;
  }
}

/** What the CLI prints on stderr for an error a command threw, and the exit code it ends with. */
export function cliFailure(err: unknown): { text: string; exitCode: number } {
  if (err instanceof ConfigErrorList) {
    const n = err.errors.length;
    const lines = err.errors.map(formatConfigError);
    lines.push(`slipway: ${n} problem${n === 1 ? '' : 's'} in the ops repository`);
    return { text: `${lines.join('\n')}\n`, exitCode: ExitCode.InvalidConfig };
  }
  const exitCode = err instanceof CliError ? err.exitCode : ExitCode.Failed;
  return { text: `slipway: ${errorMessage(err)}\n`, exitCode };
}
