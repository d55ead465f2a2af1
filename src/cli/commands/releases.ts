import type { Command } from 'commander';
import { formatTime } from '../../util/format.ts';
import { openRunStore } from '../run-session.ts';
import type { RegisterCommand } from './index.ts';

const short = (hash: string) => hash.replace(/^sha256:/, '').slice(0, 12);

/** `slipway releases ENV`: the release ledger of an environment, newest first. */
export const registerReleases: RegisterCommand = (program) => {
  program
    .command('releases')
    .description('list the releases deployed to an environment, newest first')
    .argument('<env>', 'environment')
    .option('--app <app>', 'only releases of this app')
    .option('--host <host>', 'only releases on this host')
    .option('--limit <n>', 'how many', '50')
    .option('--json', 'print JSON')
    .action(
      async (
        env: string,
        flags: { app?: string; host?: string; limit: string; json?: boolean },
        cmd: Command,
      ) => {
        const store = await openRunStore(cmd);
        try {
          const releases = store.releases.list(env, {
            ...(flags.app ? { app: flags.app } : {}),
            ...(flags.host ? { host: flags.host } : {}),
            limit: Number(flags.limit),
          });
          if (flags.json) {
            process.stdout.write(`${JSON.stringify(releases, null, 2)}\n`);
            return;
          }
          if (releases.length === 0) {
            process.stdout.write(`no releases in ${env}\n`);
            return;
          }
          process.stdout.write(
            `${'RELEASE'.padEnd(26)} ${'APP'.padEnd(12)} ${'HOST'.padEnd(12)} ${'DIGEST'.padEnd(12)} ${'CONFIG'.padEnd(12)} ${'RUN'.padEnd(5)} ${'APPROVED BY'.padEnd(14)} DEPLOYED\n`,
          );
          for (const r of releases) {
            process.stdout.write(
              `${r.releaseId.padEnd(26)} ${r.app.padEnd(12)} ${r.host.padEnd(12)} ${short(r.digest)} ${short(r.configHash)} ` +
                `${String(r.runId ?? '-').padEnd(5)} ${(r.approver ?? '-').padEnd(14)} ${formatTime(r.createdAt)}${r.restores ? `  rollback to ${r.restores}` : ''}\n`,
            );
          }
        } finally {
          store.close();
        }
      },
    );
};
