import type { Command } from 'commander';
import { formatTime } from '../../util/format.ts';
import { CliError } from '../errors.ts';
import { planLines, treeLines } from '../render/format.ts';
import { openRunStore, runIdArg } from '../run-session.ts';
import type { RegisterCommand } from './index.ts';

/** `slipway show RUN`: a run's tree of jobs, steps and hosts, its gates and their audit trail. */
export const registerShow: RegisterCommand = (program) => {
  program
    .command('show')
    .description('show a run: jobs, steps, hosts, gates, outputs and audit trail')
    .argument('<run>', 'run number')
    .option('--json', 'print JSON')
    .action(async (runArg: string, flags: { json?: boolean }, cmd: Command) => {
      const store = await openRunStore(cmd);
      try {
        const id = runIdArg(runArg);
        const detail = store.detail(id);
        if (!detail) throw new CliError(`there is no run ${id}`);
        const audit = store.gates.auditTrail(id);
        if (flags.json) {
          process.stdout.write(`${JSON.stringify({ ...detail, audit }, null, 2)}\n`);
          return;
        }
        const out: string[] = treeLines(detail);
        for (const [k, v] of Object.entries(detail.outputs)) out.push(`output ${k} = ${v}`);
        for (const g of detail.gates) {
          out.push(
            `gate ${g.job}${g.step === undefined ? '' : ` step ${g.step}`} round ${g.round}: ${g.status}${g.reason ? ` — ${g.reason}` : ''}`,
            ...planLines(g.plan, '    '),
          );
        }
        for (const a of audit) {
          out.push(
            `audit ${formatTime(a.at)} ${a.actor} via ${a.channel}: ${a.action}${a.job ? ` ${a.job}` : ''} ${a.outcome}` +
              `${a.reason ? ` — ${a.reason}` : ''}`,
          );
        }
        process.stdout.write(`${out.join('\n')}\n`);
      } finally {
        store.close();
      }
    });
};
