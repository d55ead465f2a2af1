import { resolve } from 'node:path';
import type { Command } from 'commander';
import { ConfigErrorList } from '../config/errors.ts';
import { type LoadOptions, loadRepo } from '../config/load-repo.ts';
import type { OpsRepo } from '../config/types.ts';

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

/** Loads the ops repository for a command; throws every error it has (the CLI prints them and exits 2). */
export async function loadRepoForCommand(cmd: Command): Promise<OpsRepo> {
  const { root, load } = repoFlags(cmd);
  const result = await loadRepo(root, load);
  if (!result.ok) throw new ConfigErrorList(result.errors);
  return result.repo;
}
