import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { PolicySource } from '../approvals/policy-source.ts';
import { ratifiedPolicySource } from '../approvals/ratified-policy.ts';
import type { TrustedPolicy } from '../approvals/trusted-policy.ts';
import { ConfigErrorList } from '../config/errors.ts';
import { type LoadOptions, loadRepo } from '../config/load-repo.ts';
import type { OpsRepo } from '../config/types.ts';
import { openStore, storePath } from '../store/store.ts';
import { localPolicySource } from '../triggers/policy-ref.ts';
import { errorMessage } from '../util/errors.ts';
import { CliError } from './errors.ts';
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

/** Loads the ops repository for a command; throws every error it has (the CLI prints them and exits 2). */
export async function loadRepoForCommand(cmd: Command): Promise<OpsRepo> {
  const { root, load } = repoFlags(cmd);
  const result = await loadRepo(root, load);
  if (!result.ok) throw new ConfigErrorList(result.errors);
  return result.repo;
}

/**
 * The policy in force for the CLI: the local default branch (or `--policy-ref`) as ratified in the store,
 * trees under `.slipway/policy`.
 */
export function policySourceFor(cmd: Command): PolicySource {
  const { root, load } = repoFlags(cmd);
  const { policyRef } = cmd.optsWithGlobals() as RepoFlags;
  const trees = localPolicySource(root, join(dirname(storePath(root)), 'policy'), policyRef, load);
  return ratifiedPolicySource(() => openStore(root), trees);
}

/**
 * The checked-out repository under the policy in force: its slipway.yml is the trusted ref's, never the
 * working tree's. Throws why when the policy cannot be read or the config is invalid (exit code 2).
 */
export async function loadTrustedForCommand(
  cmd: Command,
): Promise<{ repo: OpsRepo; policy: TrustedPolicy; source: PolicySource }> {
  const source = policySourceFor(cmd);
  let policy: TrustedPolicy;
  try {
    policy = await source.current();
  } catch (err) {
    throw new CliError(errorMessage(err), ExitCode.InvalidConfig);
  }
  const { root, load } = repoFlags(cmd);
  const result = await loadRepo(root, { ...load, projectFrom: policy.root });
  if (!result.ok) throw new ConfigErrorList(result.errors);
  return { repo: result.repo, policy, source };
}
