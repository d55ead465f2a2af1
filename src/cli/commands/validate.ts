import type { Command } from 'commander';
import { loadRepo } from '../../config/load-repo.ts';
import type { OpsRepo } from '../../config/types.ts';
import { ExitCode } from '../exit-codes.ts';
import { printConfigErrors, repoFlags } from '../repo-config.ts';
import type { RegisterCommand } from './index.ts';

/** `slipway validate [--json]`: every file of the ops repo; exit 0 when clean, 2 when invalid. */
export const registerValidate: RegisterCommand = (program) => {
  program
    .command('validate')
    .description('check every pipeline, inventory, key and site file; errors as file:line:col')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const { root, load } = repoFlags(cmd);
      const result = await loadRepo(root, load);
      if (opts.json) {
        const body = result.ok
          ? { ok: true, errors: [], summary: summary(result.repo) }
          : { ok: false, errors: result.errors };
        process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
      } else if (result.ok) {
        const s = summary(result.repo);
        process.stdout.write(
          `ok: ${s.pipelines} pipelines, ${s.environments} environments (${s.hosts} hosts), ${s.keys} keys, ${s.sites} sites\n`,
        );
      } else printConfigErrors(result.errors);
      process.exitCode = result.ok ? ExitCode.Ok : ExitCode.InvalidConfig;
    });
};

function summary(repo: OpsRepo) {
  return {
    pipelines: repo.pipelines.length,
    environments: repo.inventories.size,
    hosts: [...repo.inventories.values()].reduce((n, inv) => n + inv.hosts.size, 0),
    keys: repo.keys.size,
    sites: [...repo.sitesFiles.values()].reduce((n, f) => n + Object.keys(f.sites).length, 0),
  };
}
