import type { Command } from 'commander';
import { releaseContainers, serviceContainers } from '../deploy/app-status.ts';
import { type ContainerLine, streamContainerLogs } from '../deploy/container-io.ts';
import { serviceOf } from '../deploy/container-state.ts';
import { withHostDocker } from '../deploy/host-docker.ts';
import { deployedHosts, openAppSession } from './app-session.ts';
import { CliError } from './errors.ts';
import { ExitCode } from './exit-codes.ts';

/** Options of `slipway app logs`. */
export interface AppLogsOptions {
  env: string;
  app: string;
  service?: string;
  host?: string;
  tail: string;
  follow?: boolean;
  json?: boolean;
}

/** `--tail N`: a count of lines (0 and up), else a usage error. */
export function tailLines(text: string): number {
  if (!/^\d{1,7}$/.test(text))
    throw new CliError(
      `--tail: expected a number of lines like 100, got ${JSON.stringify(text)}`,
      ExitCode.InvalidConfig,
    );
  return Number(text);
}

/** How one line is printed: `host service | text`, or an NDJSON object. */
export function renderLine(host: string, service: string, line: ContainerLine, json: boolean): string {
  if (json) return JSON.stringify({ host, service, stream: line.stream, at: line.at, line: line.text });
  return `${host} ${service} | ${line.text}`;
}

/**
 * `slipway app logs ENV APP [SERVICE]`: the last lines of every container of the live release on each host,
 * through the Docker API over the SSH-forwarded socket; with --follow, new lines until Ctrl-C.
 */
export async function appLogsCommand(cmd: Command, o: AppLogsOptions): Promise<void> {
  const tail = tailLines(o.tail);
  const s = await openAppSession(cmd, o.env, o.app, o.host);
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const hosts = await deployedHosts(s);
    const print = (host: string, service: string, line: ContainerLine) => {
      const text = renderLine(host, service, { ...line, text: s.mask(line.text) }, o.json === true);
      (line.stream === 'stderr' && !o.json ? process.stderr : process.stdout).write(`${text}\n`);
    };
    await Promise.all(
      hosts.map((h) =>
        withHostDocker(h.transport, h.dockerSocket, async (engine) => {
          const all = await releaseContainers(engine, h.release);
          const mine = serviceContainers(all, o.service, `release ${h.release.release} on ${h.name}`);
          await Promise.all(
            mine.map((c) =>
              streamContainerLogs(
                engine,
                c,
                { tail, follow: o.follow === true, signal: stop.signal },
                (line) => print(h.name, serviceOf(c) ?? '?', line),
              ),
            ),
          );
        }).catch((err: unknown) => {
          stop.abort(); // one host failed: the others' follows end too
          throw err;
        }),
      ),
    ).catch((err: unknown) => {
      throw err instanceof CliError ? err : new CliError(s.mask((err as Error).message));
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await s.close();
  }
}
