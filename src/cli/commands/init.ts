import { relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { initRepo, NEXT_STEPS } from '../init-repo.ts';
import { repoFlags } from '../repo-config.ts';
import type { RegisterCommand } from './index.ts';

/** `slipway init [DIR] [--json]`: a new ops repository that validates at once, and what to fill in next. */
export const registerInit: RegisterCommand = (program) => {
  program
    .command('init')
    .description('write a new ops repository into DIR (default: --repo); refuses a non-empty directory')
    .argument('[dir]', 'directory to create or fill (must be missing or empty)')
    .option('--json', 'print the files written and the next steps as JSON')
    .action((dir: string | undefined, opts: { json?: boolean }, cmd: Command) => {
      const target = dir === undefined ? repoFlags(cmd).root : resolve(dir);
      const result = initRepo(target);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ ...result, next: NEXT_STEPS }, null, 2)}\n`);
        return;
      }
      const rel = relative(process.cwd(), target);
      const shown = rel.startsWith('..') ? target : rel || '.';
      const steps = NEXT_STEPS.map((s, i) => `  ${i + 1}. ${s}\n`).join('');
      process.stdout.write(
        `wrote a new ops repository in ${shown} (${result.files.length} files); it validates as it is.\n` +
          `Next, fill in (the files say where with "Fill in"):\n${steps}`,
      );
    });
};
