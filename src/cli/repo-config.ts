import { resolve } from 'node:path';
import type { Command } from 'commander';
import { formatConfigError, type LoadOptions, loadRepo } from '../config/load-repo.ts';
import type { ConfigError, OpsRepo } from '../config/types.ts';
import { ExitCode } from './exit-codes.ts';

/** The global options every command shares: the repository and the inventories root swap. */
export interface RepoFlags {
  repo: string;
  inventories?: string;
}

/** Repository root and load options from the global `--repo` / `--inventories` (or SLIPWAY_INVENTORIES). */
export function repoFlags(cmd: Command): { root: string; load: LoadOptions } {
  const f = cmd.optsWithGlobals() as RepoFlags;
  const root = resolve(f.repo);
  return { root, load: f.inventories ? { inventoriesRoot: resolve(f.inventories) } : {} };
}

/** Prints config errors, one `file:line:col: key: message; hint` per line, on stderr. */
export function printConfigErrors(errors: ConfigError[]): void {
  for (const e of errors) process.stderr.write(`${formatConfigError(e)}\n`);
  process.stderr.write(
    `slipway: ${errors.length} problem${errors.length === 1 ? '' : 's'} in the ops repository\n`,
  );
}

/** Loads the ops repository for a command; on invalid config prints every error and returns undefined (exit code 2). */
export async function loadRepoForCommand(cmd: Command): Promise<OpsRepo | undefined> {
  const { root, load } = repoFlags(cmd);
  const result = await loadRepo(root, load);
  if (result.ok) return result.repo;
  printConfigErrors(result.errors);
  process.exitCode = ExitCode.InvalidConfig;
  return undefined;
}
