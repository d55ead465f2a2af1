import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRepo } from '../../src/config/load-repo.ts';
import type { OpsRepo } from '../../src/config/types.ts';
import { tempOpsRepo } from './ops-repo.ts';

const LOCAL = 'ansible_connection: local, ansible_python_interpreter: /usr/bin/python3';

/**
 * An ops repository whose dev host `h1` is the runner itself (ansible_connection: local) and whose own
 * roles/<role> writes `<out>/h1.<role>`: proof of which role a step ran. `cleanup` removes both dirs.
 */
export async function repoWithOwnRole(
  role: string,
): Promise<{ repo: OpsRepo; out: string; cleanup: () => void }> {
  const out = mkdtempSync(join(tmpdir(), 'slipway-own-role-'));
  const root = tempOpsRepo({
    'slipway.yml': 'environments: { dev: {} }\n',
    'inventories/dev/hosts.yml': `all:\n  children:\n    web:\n      hosts:\n        h1: { ${LOCAL} }\n`,
    [`roles/${role}/tasks/main.yml`]: `- name: Mark the host\n  copy: { dest: "${out}/{{ inventory_hostname }}.${role}", content: "own role\\n" }\n`,
  });
  const loaded = await loadRepo(root);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  return {
    repo: loaded.repo,
    out,
    cleanup: () => {
      rmSync(out, { recursive: true, force: true });
      rmSync(root, { recursive: true, force: true });
    },
  };
}
