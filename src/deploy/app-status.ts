import type { Transport } from '../remote/transport.ts';
import { type ContainerInfo, serviceOf } from './container-state.ts';
import { readLiveApp } from './host-deploy.ts';
import { type HostDocker, inspectContainers, projectContainers, withHostDocker } from './host-docker.ts';
import { APPS_ROOT } from './layout.ts';
import type { ReleaseRecord } from './release.ts';

/** How one container of a release is doing, as `docker inspect` says. */
export interface ServiceStatus {
  service: string;
  container: string;
  /** `healthy`, `running` (no healthcheck), `starting`, `unhealthy`, `restarting`, `exited N`, or docker's status. */
  state: string;
  /** ISO time it started (running) or stopped (exited); absent when docker has none. */
  since?: string;
  restarts: number;
}

/** The app on one host as a whole: the worst of its containers. */
export type AppHealth = 'healthy' | 'starting' | 'unhealthy' | 'down' | 'not deployed';

/** What runs of an app on one host: the live release (its marker) and its containers. */
export interface HostAppStatus {
  host: string;
  release?: ReleaseRecord;
  health: AppHealth;
  services: ServiceStatus[];
}

const NEVER = '0001-01-01T00:00:00Z';

/** The state word of one container. */
export function containerState(c: ContainerInfo): string {
  const s = c.State;
  if (s.Status === 'exited' || s.Status === 'dead') return `exited ${s.ExitCode}`;
  if (s.Status === 'restarting') return 'restarting';
  if (!s.Running) return s.Status;
  const health = s.Health?.Status;
  return health === undefined ? 'running' : health;
}

/** The one word for a release's containers: down when none runs, else the worst state among them. */
export function appHealth(services: readonly ServiceStatus[]): Exclude<AppHealth, 'not deployed'> {
  const states = services.map((s) => s.state);
  const live = states.filter((s) => !s.startsWith('exited'));
  if (live.length === 0 || live.every((s) => s !== 'running' && s !== 'healthy' && s !== 'starting'))
    return 'down';
  // A one-shot service that exited 0 is done, not ill.
  if (states.some((s) => s === 'unhealthy' || s === 'restarting' || /^exited [1-9]/.test(s)))
    return 'unhealthy';
  return states.includes('starting') ? 'starting' : 'healthy';
}

function serviceStatus(c: ContainerInfo): ServiceStatus {
  const state = containerState(c);
  const at = state.startsWith('exited') ? c.State.FinishedAt : c.State.StartedAt;
  return {
    service: serviceOf(c) ?? '?',
    container: (c.Name ?? c.Id).replace(/^\//, ''),
    state,
    ...(at && at !== NEVER ? { since: at } : {}),
    restarts: c.RestartCount ?? 0,
  };
}

/** The containers of the release's compose project, inspected, ordered by service. */
export async function releaseContainers(
  engine: HostDocker,
  release: ReleaseRecord,
): Promise<ContainerInfo[]> {
  const infos = await inspectContainers(engine.api, await projectContainers(engine.api, release.project));
  return infos.sort((a, b) => (serviceOf(a) ?? '').localeCompare(serviceOf(b) ?? ''));
}

/** The containers of `service` (every one when undefined); throws naming the release's services when none is. */
export function serviceContainers(
  all: readonly ContainerInfo[],
  service: string | undefined,
  where: string,
): ContainerInfo[] {
  if (service === undefined) return [...all];
  const mine = all.filter((c) => serviceOf(c) === service);
  if (mine.length > 0) return mine;
  const known = [...new Set(all.map((c) => serviceOf(c) ?? '?'))].join(', ') || 'none';
  throw new Error(`${where} has no service ${service} (its services: ${known})`);
}

/** Reads the live release of `app` on a host (its marker) and the state of its containers through the engine. */
export async function readAppStatus(
  host: { name: string; transport: Transport; dockerSocket: string },
  app: string,
  root = APPS_ROOT,
): Promise<HostAppStatus> {
  const { release } = await readLiveApp(host.transport, app, root);
  if (!release) return { host: host.name, health: 'not deployed', services: [] };
  const services = await withHostDocker(host.transport, host.dockerSocket, async (engine) =>
    (await releaseContainers(engine, release)).map(serviceStatus),
  );
  return { host: host.name, release, health: appHealth(services), services };
}
