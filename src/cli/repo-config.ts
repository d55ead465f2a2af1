import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { localPolicySource, type PolicySource } from '../approvals/policy-ref.ts';
import type { TrustedPolicy } from '../approvals/trusted-policy.ts';
import { formatConfigError, type LoadOptions, loadRepo } from '../config/load-repo.ts';
import type { ConfigError, OpsRepo } from '../config/types.ts';
import { storePath } from '../store/store.ts';
import { ExitCode } from './exit-codes.ts';

/** The global options every command shares: the repository and the inventories root swap. */
export interface RepoFlags {
  repo: string;
  inventories?: string;
  policyRef?: string;
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

/** The policy in force for the CLI: the local default branch (or `--policy-ref`), trees under `.slipway/policy`. */
export function policySourceFor(cmd: Command): PolicySource {
  const { root, load } = repoFlags(cmd);
  const { policyRef } = cmd.optsWithGlobals() as RepoFlags;
  return localPolicySource(root, join(dirname(storePath(root)), 'policy'), policyRef, load);
}

/**
 * The checked-out repository under the policy in force: its slipway.yml is the trusted ref's, never the
 * working tree's. On an unreadable policy or invalid config prints why and returns undefined (exit code 2).
 */
export async function loadTrustedForCommand(
  cmd: Command,
): Promise<{ repo: OpsRepo; policy: TrustedPolicy; source: PolicySource } | undefined> {
  const source = policySourceFor(cmd);
  let policy: TrustedPolicy;
  try {
    policy = await source.current();
  } catch (err) {
    process.stderr.write(`slipway: ${(err as Error).message}\n`);
    process.exitCode = ExitCode.InvalidConfig;
    return undefined;
  }
  const { root, load } = repoFlags(cmd);
  const result = await loadRepo(root, { ...load, projectFrom: policy.root });
  if (result.ok) return { repo: result.repo, policy, source };
  printConfigErrors(result.errors);
  process.exitCode = ExitCode.InvalidConfig;
  return undefined;
}
