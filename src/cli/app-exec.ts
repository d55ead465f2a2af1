import type { Command } from 'commander';
import { releaseContainers, serviceContainers } from '../deploy/app-status.ts';
import { execInContainer } from '../deploy/container-io.ts';
import { type ContainerInfo, serviceOf } from '../deploy/container-state.ts';
import { withHostDocker } from '../deploy/host-docker.ts';
import type { ReleaseRecord } from '../deploy/release.ts';
import type { Store } from '../store/store.ts';
import { type AppHost, type AppSession, deployedHosts, openAppSession } from './app-session.ts';
import { CliError } from './errors.ts';
import { ExitCode } from './exit-codes.ts';
import { policySourceFor } from './repo-config.ts';
import { openRunStore, operatorName } from './run-session.ts';

/** Options of `slipway app exec`. */
export interface AppExecOptions {
  env: string;
  app: string;
  service?: string;
  command: string[];
  host?: string;
  /** Run on every host that runs the app, not only one named with `host`. */
  all?: boolean;
}

const USAGE = 'expected: slipway app exec ENV APP [SERVICE] -- COMMAND [ARG...]';

/**
 * SERVICE and the command from the operands: the command is everything after the first `--` of the raw
 * argv (commander drops the `--` itself), at most one operand before it is the service. Throws a usage
 * error (exit 2) for no command or more than one service.
 */
export function splitExecOperands(
  operands: readonly string[],
  rawArgs: readonly string[],
): { service?: string; command: string[] } {
  const dash = rawArgs.indexOf('--');
  const command = dash < 0 ? [] : rawArgs.slice(dash + 1);
  if (command.length === 0 || command[0] === '')
    throw new CliError(`exec needs a command after --; ${USAGE}`, ExitCode.InvalidConfig);
  const before = operands.slice(0, operands.length - command.length);
  if (before.length > 1) {
    throw new CliError(
      `exec takes one SERVICE before --, got ${before.map((b) => JSON.stringify(b)).join(' ')}; ${USAGE}`,
      ExitCode.InvalidConfig,
    );
  }
  return { ...(before[0] !== undefined ? { service: before[0] } : {}), command };
}

/** The running container to exec in: of `service`, or of the release's only service. */
export function execTarget(
  all: readonly ContainerInfo[],
  service: string | undefined,
  where: string,
): ContainerInfo {
  const services = [...new Set(all.map((c) => serviceOf(c) ?? '?'))];
  if (service === undefined && services.length > 1)
    throw new Error(`${where} has several services (${services.join(', ')}): name one before --`);
  const mine = serviceContainers(all, service, where);
  const running = mine.find((c) => c.State.Running);
  if (!running) throw new Error(`${where}: service ${serviceOf(mine[0]!) ?? '?'} has no running container`);
  return running;
}

/**
 * Refuses to run one command on several hosts unless asked to (`--all`): a migration or a cleanup run N
 * times is a surprise nobody wants.
 */
export function refuseSeveralHosts(
  hosts: readonly string[],
  o: Pick<AppExecOptions, 'app' | 'host' | 'all'>,
) {
  if (hosts.length <= 1 || o.host !== undefined || o.all) return;
  throw new CliError(
    `${o.app} runs on ${hosts.length} hosts (${hosts.join(', ')}): name one with --host HOST, or pass --all to run the command on each in turn`,
    ExitCode.InvalidConfig,
  );
}

/** `slipway app exec`: runs the command on one host, or with --all on each in turn; exits with the first non-zero exit code. */
export async function appExecCommand(cmd: Command, o: AppExecOptions): Promise<void> {
  const s = await openAppSession(cmd, o.env, o.app, o.host);
  const store = await openRunStore(cmd);
  try {
    const actor = await operatorName(policySourceFor(cmd));
    const hosts = await deployedHosts(s);
    refuseSeveralHosts(
      hosts.map((h) => h.name),
      o,
    );
    let exitCode = 0;
    for (const h of hosts) {
      const code = await execOnHost(s, store, actor, h, o, hosts.length > 1);
      if (exitCode === 0) exitCode = code;
    }
    process.exitCode = exitCode;
  } finally {
    store.close();
    await s.close();
  }
}

/** Runs the command in the host's container, with an audit line before it starts and one with its exit code. */
async function execOnHost(
  s: AppSession,
  store: Store,
  actor: string,
  h: AppHost & { release: ReleaseRecord },
  o: AppExecOptions,
  prefix: boolean,
): Promise<number> {
  const where = `release ${h.release.release} of ${o.app} on ${h.name}`;
  return withHostDocker(h.transport, h.dockerSocket, async (engine) => {
    const container = execTarget(await releaseContainers(engine, h.release), o.service, where);
    const service = serviceOf(container) ?? '?';
    const what = s.mask(
      `${o.app}/${service} on ${h.name} in ${o.env} (release ${h.release.release}): ${JSON.stringify(o.command)}`,
    );
    store.gates.audit({ actor, channel: 'cli', action: 'exec', outcome: 'accepted', reason: what });
    const code = await execInContainer(engine, container.Id, o.command, (stream, text) => {
      const line = `${prefix ? `${h.name} | ` : ''}${s.mask(text)}\n`;
      (stream === 'stderr' ? process.stderr : process.stdout).write(line);
    });
    store.gates.audit({
      actor,
      channel: 'cli',
      action: 'exec-exit',
      outcome: 'recorded',
      reason: `${what} exited ${code}`,
    });
    return code;
  }).catch((err: unknown) => {
    throw err instanceof CliError ? err : new CliError(s.mask((err as Error).message));
  });
}
