#!/usr/bin/env node
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { hostParallelism } from '../remote/parallelism.ts';
import { commandsFor } from './commands/index.ts';
import { cliFailure } from './errors.ts';
import { packageVersion } from './package-files.ts';

const program = new Command('slipway')
  .description(
    'GitOps pipeline runner: infra and app pipelines from Git to your servers, behind approval gates',
  )
  .version(packageVersion(), '-V, --version', 'print the version of Slipway')
  .option('-C, --repo <dir>', 'the ops repository', process.cwd())
  .addOption(
    new Option('--inventories <dir>', 'inventories root: environment X resolves to DIR/X').env(
      'SLIPWAY_INVENTORIES',
    ),
  )
  .addOption(
    new Option(
      '--policy-ref <ref>',
      'where gates, environments, teams and people are read from (default: origin/HEAD, else main, else master)',
    ).env('SLIPWAY_POLICY_REF'),
  )
  .addOption(
    new Option('--parallel <n>', 'hosts a step works on at once (default 8)').env('SLIPWAY_PARALLEL'),
  )
  .addOption(
    new Option('--vault-password-file <file>', 'decrypts !vault values of inventories and vars files').env(
      'ANSIBLE_VAULT_PASSWORD_FILE',
    ),
  )
  .showHelpAfterError()
  // Steps and ansible-playbook read the bound from the environment, so it reaches every process of the run.
  .hook('preAction', () => {
    // The inventory loader, ansible-playbook and the masker all read the vault password file from here.
    const vaultFile = program.opts<{ vaultPasswordFile?: string }>().vaultPasswordFile;
    if (vaultFile) process.env.ANSIBLE_VAULT_PASSWORD_FILE = resolve(vaultFile);
    const parallel = program.opts<{ parallel?: string }>().parallel;
    if (parallel !== undefined) {
      process.env.SLIPWAY_PARALLEL = parallel;
      hostParallelism();
    }
  });

for (const register of await commandsFor(process.argv.slice(2))) register(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  // Commands throw what went wrong (CliError with its exit code, config errors, anything else: 1);
  // this is the one place that prints it and sets the exit code.
  const failure = cliFailure(err);
  process.stderr.write(failure.text);
  process.exitCode = failure.exitCode;
}
