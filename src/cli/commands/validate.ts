import type { Command } from 'commander';
import { ConfigErrorList } from '../../config/errors.ts';
import { loadRepo } from '../../config/load-repo.ts';
import type { OpsRepo } from '../../config/types.ts';
import { ExitCode } from '../exit-codes.ts';
import { repoFlags } from '../repo-config.ts';
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
        // The JSON is the answer either way; only the exit code says it is invalid.
        const body = result.ok
          ? { ok: true, errors: [], summary: summary(result.repo) }
          : { ok: false, errors: result.errors };
        process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
        process.exitCode = result.ok ? ExitCode.Ok : ExitCode.InvalidConfig;
        return;
      }
      if (!result.ok) throw new ConfigErrorList(result.errors);
      const s = summary(result.repo);
      process.stdout.write(
        `ok: ${s.pipelines} pipelines, ${s.environments} environments (${s.hosts} hosts), ${s.keys} keys, ${s.sites} sites\n`,
      );
    });
};

function summary(repo: OpsRepo) {
  return {
    pipelines: repo.pipelines.length,
    environments: repo.inventories.size,
    hosts: [...repo.inventories.values()].reduce((n, inv) => n + inv.hosts.size, 0),
    keys: repo.keys.size,
    sites: Object.keys(repo.sites?.sites ?? {}).length,
  };
}
