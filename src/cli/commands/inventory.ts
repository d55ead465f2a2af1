import type { Command } from 'commander';
import { ConfigErrorList } from '../../config/errors.ts';
import { resolveInventory } from '../../config/inventory/resolve.ts';
import { inventoryPath, loadProject } from '../../config/load-repo.ts';
import type { Inventory } from '../../config/types.ts';
import { repoFlags } from '../repo-config.ts';
import type { RegisterCommand } from './index.ts';

/** `slipway inventory ENV [--json]`: the resolved inventory; `--json` prints what `ansible-inventory --list` prints. */
export const registerInventory: RegisterCommand = (program) => {
  program
    .command('inventory')
    .description('hosts, groups and variables of an environment, resolved as Ansible resolves them')
    .argument('<env>', 'environment name (inventories/<env>, or DIR/<env> with --inventories DIR)')
    .option('--json', 'print the same JSON as `ansible-inventory -i <inventory> --list`')
    .action(async (env: string, opts: { json?: boolean }, cmd: Command) => {
      const { root, load } = repoFlags(cmd);
      const { project, errors } = loadProject(root);
      if (!project) throw new ConfigErrorList(errors);
      // Throws ConfigErrorList, which the CLI prints as invalid configuration.
      const inv = await resolveInventory(inventoryPath(root, env, project, load), env, { displayRoot: root });
      // ansible-inventory prints sorted keys with a 4-space indent; the same text is easy to diff.
      if (opts.json) process.stdout.write(`${JSON.stringify(inv.ansibleList, null, 4)}\n`);
      else process.stdout.write(`${table(inv)}\n`);
    });
};

function table(inv: Inventory): string {
  const rows = [['HOST', 'ADDRESS', 'PORT', 'USER', 'GROUPS']];
  for (const h of inv.hosts.values()) {
    rows.push([h.name, h.address, String(h.port), h.user ?? '-', h.groups.join(',') || '-']);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
