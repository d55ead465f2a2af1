import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { failureReason, requireEveryHost } from '../ansible/host-failures.ts';
import { roleDir } from '../ansible/roles.ts';
import { type PlaybookResult, runPlaybook } from '../ansible/runner.ts';
import type { Inventory, InventoryHost } from '../config/types.ts';
import { knownHostsFilesOf } from '../remote/from-inventory.ts';
import { requireSshFiles } from '../remote/ssh-files.ts';

/** What the installer needs from a run. */
export interface InstallInput {
  inventory: Inventory;
  hosts: readonly InventoryHost[];
  /** Repository root: relative key and known_hosts paths in the inventory resolve from it. */
  root: string;
  signal?: AbortSignal;
  log?: (line: string, host?: string) => void;
}

/**
 * Runs roles/caddy (the repository's own, else Slipway's: either keeps the contract of socket, bootstrap and
 * --resume the caddy client relies on) on `hosts` through the Ansible wrapper; throws naming each host it
 * could not install.
 */
export async function installCaddy(input: InstallInput): Promise<PlaybookResult> {
  requireSshFiles(input.hosts, input.root, input.inventory.dir);
  const dir = await mkdtemp(join(tmpdir(), 'slipway-caddy-role-'));
  try {
    const playbook = join(dir, 'caddy.yml');
    // JSON is YAML: the role path needs no quoting rules of its own.
    await writeFile(
      playbook,
      JSON.stringify([
        { hosts: 'all', gather_facts: false, roles: [{ role: roleDir('caddy', input.root) }] },
      ]),
    );
    const result = await runPlaybook({
      playbook,
      inventory: [input.inventory.dir],
      cwd: input.root,
      limit: input.hosts.map((h) => h.name),
      knownHosts: knownHostsFilesOf(input.hosts, input.root),
      timeoutMs: 10 * 60_000,
      ...(input.signal ? { signal: input.signal } : {}),
      onEvent: (e) => {
        if (e.event === 'host_failed' && !e.ignore_errors)
          input.log?.(`roles/caddy: ${e.task}: ${failureReason(e)}`, e.host);
        else if (e.event === 'host_unreachable')
          input.log?.(`roles/caddy: unreachable: ${failureReason(e)}`, e.host);
        else if (e.event === 'host_ok' && e.changed) {
          input.log?.(`roles/caddy: ${e.task}: changed`, e.host);
        }
      },
    });
    requireEveryHost(
      'roles/caddy',
      result,
      input.hosts.map((h) => h.name),
    );
    return result;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
