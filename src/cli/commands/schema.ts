import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { jsonSchemas } from '../../config/json-schemas.ts';
import { repoFlags } from '../repo-config.ts';
import type { RegisterCommand } from './index.ts';

/** `slipway schema [--out DIR]`: writes JSON Schema files for editors (yaml-language-server). */
export const registerSchema: RegisterCommand = (program) => {
  program
    .command('schema')
    .description('write JSON Schema files of the ops-repo formats (default: <repo>/schemas/)')
    .option('--out <dir>', 'directory to write the *.schema.json files into')
    .action((opts: { out?: string }, cmd: Command) => {
      const { root } = repoFlags(cmd);
      const dir = opts.out ? resolve(opts.out) : join(root, 'schemas');
      mkdirSync(dir, { recursive: true });
      for (const [file, schema] of Object.entries(jsonSchemas())) {
        writeFileSync(join(dir, file), `${JSON.stringify(schema, null, 2)}\n`);
        process.stdout.write(`wrote ${relative(process.cwd(), join(dir, file)) || file}\n`);
      }
    });
};
