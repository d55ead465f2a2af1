import { existsSync } from 'node:fs';
import { type LoadOptions, loadAppRepo, loadRepo } from '../config/load-repo.ts';
import type { LoadResult } from '../config/types.ts';
import type { RunRecord } from '../store/types.ts';
import { isCommitTree } from './checkout.ts';

/**
 * The repository a stored run came from, loaded again from the trees it recorded, under slipway.yml of
 * `projectFrom` (the policy in force): an app repository's run from its app commit's tree and the ops
 * commit's tree it was queued under (never whatever the ops repository holds now), any other from its checkout.
 */
export async function loadRunTrees(run: RunRecord, projectFrom: string): Promise<LoadResult> {
  const opts: LoadOptions = {
    ...(run.inventoriesRoot ? { inventoriesRoot: run.inventoriesRoot } : {}),
    projectFrom,
  };
  if (!run.app) return loadRepo(run.repoRoot, opts);
  const { name, opsSha, opsRoot } = run.app;
  if (!existsSync(opsRoot) || !isCommitTree(opsRoot, opsSha)) {
    throw new Error(
      `the tree of ops commit ${opsSha.slice(0, 12)} that run ${run.id} of app ${name} runs under is gone ` +
        `(${opsRoot}): push the app commit again to run it anew`,
    );
  }
  return loadAppRepo({ name, root: run.repoRoot }, opsRoot, opts);
}
