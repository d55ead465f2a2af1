/**
 * The accounts roles/ssh_keys gets per host, computed by Slipway's own code from the repository's access
 * file, written as an extra-vars file for the plain ansible-playbook baselines (`ssh_keys_by_host`).
 */
import { writeFileSync } from 'node:fs';
import { loadRepo } from '../../src/config/load-repo.ts';
import { accountsFor } from '../../src/ssh-keys/desired.ts';
import { roleUsers } from '../../src/ssh-keys/role.ts';

/** Writes `{ ssh_keys_by_host: { host: users } }` for every host of `envs` to `file`. */
export async function writeSshKeysVars(
  repo: string,
  inventoriesRoot: string,
  envs: readonly string[],
  file: string,
): Promise<void> {
  const loaded = await loadRepo(repo, { inventoriesRoot });
  if (!loaded.ok) throw new Error(`${repo} does not load: ${JSON.stringify(loaded.errors)}`);
  const access = loaded.repo.accessFiles.get('infra/access.yml');
  if (!access) throw new Error(`${repo}: expected infra/access.yml`);
  const byHost: Record<string, unknown> = {};
  for (const env of envs) {
    for (const host of loaded.repo.inventories.get(env)?.hosts.values() ?? [])
      byHost[host.name] = roleUsers(accountsFor(access, loaded.repo.keys, host));
  }
  writeFileSync(file, JSON.stringify({ ssh_keys_by_host: byHost }));
}
