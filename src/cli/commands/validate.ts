import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { ConfigErrorList } from '../../config/errors.ts';
import { REPO_LAYOUT } from '../../config/layout.ts';
import { loadAppRepo, loadRepo } from '../../config/load-repo.ts';
import type { ConfigError, OpsRepo } from '../../config/types.ts';
import { ExitCode } from '../exit-codes.ts';
import { repoFlags } from '../repo-config.ts';
import type { RegisterCommand } from './index.ts';

/**
 * `slipway validate [--json] [--app NAME [--app-dir DIR]]`: every file of the ops repo, or app NAME's
 * pipeline in its checkout under the ops repo; exit 0 when clean, 2 when invalid.
 */
export const registerValidate: RegisterCommand = (program) => {
  program
    .command('validate')
    .description('check every pipeline, inventory, key and site file; errors as file:line:col')
    .option('--json', 'print the result as JSON')
    .option(
      '--app <name>',
      "check app NAME's pipeline (slipway.yml apps) in its checkout (--app-dir) under this ops repository",
    )
    .option('--app-dir <dir>', 'the app repository checkout --app checks (default: the current directory)')
    .action(async (opts: { json?: boolean; app?: string; appDir?: string }, cmd: Command) => {
      const { root, load } = repoFlags(cmd);
      const app = opts.app && { name: opts.app, root: resolve(opts.appDir ?? '.') };
      const result = !existsSync(join(root, REPO_LAYOUT.project))
        ? { ok: false as const, errors: [notAnOpsRepo(root)] }
        : app
          ? await loadAppRepo(app, root, load)
          : await loadRepo(root, load);
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
    sites: [...repo.sitesFiles.values()].reduce((n, f) => n + Object.keys(f.sites).length, 0),
  };
}

/** A directory without slipway.yml: validating it would say "ok" about nothing. */
function notAnOpsRepo(root: string): ConfigError {
  return {
    file: REPO_LAYOUT.project,
    line: 1,
    col: 1,
    key: '',
    message: `expected an ops repository, got ${root} with no ${REPO_LAYOUT.project}`,
    hint: `run in the ops repository, pass --repo DIR, or create ${REPO_LAYOUT.project} (environments:, teams:)`,
  };
}
