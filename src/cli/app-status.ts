import type { Command } from 'commander';
import { type HostAppStatus, readAppStatus } from '../deploy/app-status.ts';
import { forEachHost } from '../remote/fanout.ts';
import { hostParallelism } from '../remote/parallelism.ts';
import { formatTime } from '../util/format.ts';
import { openAppSession } from './app-session.ts';
import { CliError } from './errors.ts';

/** One host's row: its status, or why it could not be read. */
export type StatusRow = HostAppStatus | { host: string; error: string };

const short = (digest: string) => digest.replace(/^sha256:/, '').slice(0, 12);
const at = (iso: string | undefined) => (iso ? formatTime(Date.parse(iso)) : '-');

/** The status table: one line per host, then one indented line per service container. */
export function statusLines(app: string, env: string, rows: readonly StatusRow[]): string[] {
  const lines = [`${app} in ${env}`];
  const width = Math.max(4, ...rows.map((r) => r.host.length));
  lines.push(
    `${'HOST'.padEnd(width)}  ${'HEALTH'.padEnd(12)}  ${'RELEASE'.padEnd(26)}  ${'DIGEST'.padEnd(12)}  LIVE SINCE`,
  );
  for (const r of rows) {
    if ('error' in r) {
      lines.push(`${r.host.padEnd(width)}  unreachable: ${r.error}`);
      continue;
    }
    const rel = r.release;
    lines.push(
      `${r.host.padEnd(width)}  ${r.health.padEnd(12)}  ${(rel?.release ?? '-').padEnd(26)}  ` +
        `${rel ? short(rel.digest) : '-'.padEnd(12)}  ${at(rel?.deployedAt)}`,
    );
    for (const s of r.services) {
      const restarts = s.restarts ? `, ${s.restarts} restart${s.restarts === 1 ? '' : 's'}` : '';
      lines.push(
        `${''.padEnd(width)}    ${s.service}: ${s.state} since ${at(s.since)}${restarts} (${s.container})`,
      );
    }
  }
  return lines;
}

/** `slipway app status ENV APP [SERVICE]`: exit 1 when a host could not be read. */
export async function appStatusCommand(
  cmd: Command,
  o: { env: string; app: string; service?: string; host?: string; json?: boolean },
): Promise<void> {
  const s = await openAppSession(cmd, o.env, o.app, o.host);
  try {
    const outcomes = await forEachHost(s.hosts, hostParallelism(), (h) => readAppStatus(h, o.app));
    const rows: StatusRow[] = outcomes.map((x) => {
      if (!x.ok) return { host: x.host, error: s.mask(x.error.message) };
      return { ...x.value, services: x.value.services.filter((c) => !o.service || c.service === o.service) };
    });
    if (o.json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    else process.stdout.write(`${statusLines(o.app, o.env, rows).join('\n')}\n`);
    const failed = rows.filter((r) => 'error' in r).map((r) => r.host);
    if (failed.length) throw new CliError(`could not read ${failed.join(', ')}`);
  } finally {
    await s.close();
  }
}
