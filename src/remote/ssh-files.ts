// The files an SSH connection to an inventory host needs, checked before any connection so a missing
// one is named with its host, its variable and the fix, not as a bare ENOENT from deep inside.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { InventoryHost } from '../config/types.ts';
import { sshTargetOf } from './from-inventory.ts';

/** `file:line` of the line that declares `host` in an inventory directory (or file), else the inventory itself. */
export function hostDeclaration(inventory: string, host: string, root: string): string {
  const files = statSync(inventory, { throwIfNoEntry: false })?.isDirectory()
    ? readdirSync(inventory)
        .filter((n) => !n.startsWith('.'))
        .map((n) => join(inventory, n))
        .filter((f) => statSync(f).isFile())
    : [inventory];
  // YAML `host:` or INI `host var=...`, at any indentation.
  const declares = new RegExp(`^\\s*${host.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\s*:|\\s|$)`);
  for (const f of files.sort()) {
    const lines = readFileSync(f, 'utf8').split('\n');
    const at = lines.findIndex((l) => declares.test(l));
    if (at >= 0) return `${relative(root, f) || f}:${at + 1}`;
  }
  return relative(root, inventory) || inventory;
}

/** What is missing for each host: its known_hosts file, its private key; empty when all is there. */
export function sshFileProblems(hosts: Iterable<InventoryHost>, root: string, inventory?: string): string[] {
  const problems: string[] = [];
  for (const h of hosts) {
    if (h.vars['ansible_connection'] === 'local') continue;
    const target = sshTargetOf(h, root);
    const where = inventory ? `${h.name} (${hostDeclaration(inventory, h.name, root)})` : h.name;
    for (const file of target.knownHostsFiles.filter((f) => !existsSync(f))) {
      const set = h.vars['slipway_known_hosts'] === undefined ? 'slipway_known_hosts is not set, so ' : '';
      const port = h.port === 22 ? '' : `-p ${h.port} `;
      problems.push(
        `${where}: ${set}slipway_known_hosts is ${file}, which does not exist; Slipway checks every host key ` +
          `and never trusts one on first use: run \`ssh-keyscan -H ${port}${h.address} >> ${file}\` and compare ` +
          "the fingerprint with the server's, or set slipway_known_hosts to the file that holds its key",
      );
    }
    if (target.identityFile && !existsSync(target.identityFile)) {
      problems.push(
        `${where}: ansible_ssh_private_key_file is ${target.identityFile}, which does not exist; ` +
          'fix the path (relative paths start at the ops repository) or create the key',
      );
    }
  }
  return problems;
}

/** Throws naming every host whose known_hosts file or private key is missing (and where it is declared, given the inventory). */
export function requireSshFiles(hosts: Iterable<InventoryHost>, root: string, inventory?: string): void {
  const problems = sshFileProblems(hosts, root, inventory);
  if (problems.length > 0) throw new Error(problems.join('\n'));
}
