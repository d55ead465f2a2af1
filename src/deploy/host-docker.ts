import Docker from 'dockerode';
import type { InventoryHost } from '../config/types.ts';
import { followProgress } from '../docker/progress.ts';
import type { RegistryCredentials } from '../docker/push.ts';
import type { Transport } from '../remote/transport.ts';
import { errorMessage } from '../util/errors.ts';
import type { ContainerInfo } from './container-state.ts';
import { FrameDecoder } from './log-frames.ts';

/** Where the Docker Engine listens on a host unless the inventory says otherwise (`docker_socket`). */
export const DOCKER_SOCKET = '/var/run/docker.sock';

/**
 * A host's Docker Engine API reached through its SSH-forwarded socket. Every call is a request on
 * the one connection the transport already holds: no docker CLI, ssh client or remote shell is
 * started per call, which is what a deploy's polling and clean-up would otherwise cost each host.
 */
export interface HostDocker {
  api: Docker;
  /** The engine's socket path on the host. */
  socket: string;
  close(): Promise<void>;
}

/** Where a host's engine listens: inventory var `docker_socket`, else DOCKER_SOCKET. */
export function dockerSocketOf(host: InventoryHost): string {
  const v = host.vars['docker_socket'];
  return typeof v === 'string' && v !== '' ? v : DOCKER_SOCKET;
}

/** Opens the API of the host behind `t` at its `socket`. */
export async function openHostDocker(t: Transport, socket = DOCKER_SOCKET): Promise<HostDocker> {
  const fwd = await t.forwardUnixSocket(socket);
  return { api: new Docker({ socketPath: fwd.localPath }), socket, close: () => fwd.close() };
}

/** Runs `fn` with the host's engine open and answering (checkEngine), closing the forward after. */
export async function withHostDocker<T>(
  t: Transport,
  socket: string,
  fn: (engine: HostDocker) => Promise<T>,
): Promise<T> {
  const engine = await openHostDocker(t, socket);
  try {
    await checkEngine(engine);
    return await fn(engine);
  } finally {
    await engine.close();
  }
}

/**
 * Rejects, saying what to check, when no engine answers through the forward: sshd opens the
 * remote socket only when a request comes, so a wrong path or missing permission shows only here.
 */
export async function checkEngine(engine: HostDocker): Promise<void> {
  try {
    await engine.api.ping();
  } catch (err) {
    throw new Error(
      `no Docker Engine answers at ${engine.socket} through SSH (${errorMessage(err)}): ` +
        'the SSH user must be able to open that socket (e.g. be in the docker group), sshd must allow ' +
        'stream-local forwarding, or set the inventory var docker_socket to where the engine listens',
    );
  }
}

const PROJECT_LABEL = 'com.docker.compose.project';
const projectFilter = (project: string) => ({ label: [`${PROJECT_LABEL}=${project}`] });

/**
 * Pulls `ref` on the host. Credentials travel in the request's X-Registry-Auth header over the SSH
 * channel, so they never reach the host's disk, argv or environment.
 */
export async function pullImage(
  docker: Docker,
  ref: string,
  opts: { auth?: RegistryCredentials; signal?: AbortSignal } = {},
): Promise<void> {
  const authconfig = opts.auth
    ? { username: opts.auth.username, password: opts.auth.password, serveraddress: opts.auth.registry }
    : undefined;
  const stream = await docker.pull(ref, { authconfig, abortSignal: opts.signal });
  await followProgress(docker, stream, () => {});
}

/** Ids of every container (running or not) of a compose project. */
export async function projectContainers(docker: Docker, project: string): Promise<string[]> {
  const rows = await docker.listContainers({ all: true, filters: projectFilter(project) });
  return rows.map((r) => r.Id);
}

/** The compose projects that have a container on the host, running or not. */
export async function composeProjects(docker: Docker): Promise<string[]> {
  const rows = await docker.listContainers({ all: true, filters: { label: [PROJECT_LABEL] } });
  return [...new Set(rows.map((r) => r.Labels[PROJECT_LABEL]!))];
}

/** `docker inspect` of each container, in order. */
export function inspectContainers(docker: Docker, ids: readonly string[]): Promise<ContainerInfo[]> {
  return Promise.all(ids.map((id) => docker.getContainer(id).inspect() as Promise<ContainerInfo>));
}

/**
 * Stops and removes a project's containers and networks, as `compose down` would but without its
 * compose file (the release directory may be gone) and without starting compose at all.
 */
export async function removeProject(docker: Docker, project: string, stopTimeoutSec: number): Promise<void> {
  await removeContainers(docker, await projectContainers(docker, project), stopTimeoutSec);
  const networks = await docker.listNetworks({ filters: projectFilter(project) });
  await Promise.all(networks.map((n) => docker.getNetwork(n.Id).remove()));
}

/** The last `lines` lines container `c` printed (stdout and stderr), with timestamps. */
export async function containerLogTail(docker: Docker, c: ContainerInfo, lines: number): Promise<string[]> {
  const raw = await docker
    .getContainer(c.Id)
    .logs({ stdout: true, stderr: true, tail: lines, timestamps: true, follow: false });
  // A TTY container's output is one raw stream; otherwise the engine multiplexes stdout and stderr.
  const text = c.Config.Tty ? raw.toString('utf8') : demuxLogs(raw);
  return text.split('\n').filter(Boolean);
}

/** Joins the payloads of the engine's multiplexed log stream (non-TTY containers), headers stripped. */
export function demuxLogs(raw: Buffer): string {
  return Buffer.concat(new FrameDecoder().push(raw).map((f) => f.payload)).toString('utf8');
}

/**
 * Removes the images `refs` where no container uses them (the engine refuses those, which is the
 * test), then the dangling ones, like `docker image prune -f`.
 */
export async function pruneImages(docker: Docker, refs: readonly string[]): Promise<void> {
  await Promise.all(refs.map((ref) => docker.getImage(ref).remove().catch(ignoreStatus(404, 409))));
  await docker.pruneImages();
}

function ignoreStatus(...codes: number[]): (err: { statusCode?: number }) => void {
  return (err) => {
    if (err.statusCode === undefined || !codes.includes(err.statusCode)) throw err;
  };
}

/** Creates the volume `name` with `labels` unless it exists (a volume is never replaced, its data stays). */
export async function ensureVolume(
  docker: Docker,
  v: { name: string; driver?: string; driverOpts?: Record<string, string>; labels: Record<string, string> },
): Promise<'created' | 'exists'> {
  const exists = await docker
    .getVolume(v.name)
    .inspect()
    .then(() => true, ignoreStatus(404));
  if (exists) return 'exists';
  await docker.createVolume({
    Name: v.name,
    Labels: v.labels,
    ...(v.driver ? { Driver: v.driver } : {}),
    ...(v.driverOpts ? { DriverOpts: v.driverOpts } : {}),
  });
  return 'created';
}

/** Creates the bridge network `name` with `labels` unless it exists. */
export async function ensureNetwork(
  docker: Docker,
  name: string,
  labels: Record<string, string>,
): Promise<void> {
  const found = await docker.listNetworks({ filters: { name: [name] } });
  if (found.some((n) => n.Name === name)) return;
  await docker.createNetwork({ Name: name, Driver: 'bridge', Labels: labels, CheckDuplicate: true });
}

/** The services of `project` that have a running container. */
export async function runningServices(docker: Docker, project: string): Promise<Set<string>> {
  const rows = await docker.listContainers({ filters: projectFilter(project) });
  return new Set(rows.flatMap((r) => r.Labels?.['com.docker.compose.service'] ?? []));
}

/** Stops and removes the containers of `services` in `project`; their named volumes stay. */
export async function removeServices(
  docker: Docker,
  project: string,
  services: readonly string[],
  stopTimeoutSec: number,
): Promise<void> {
  const rows = await docker.listContainers({ all: true, filters: projectFilter(project) });
  const mine = rows.filter((r) => services.includes(r.Labels?.['com.docker.compose.service'] ?? ''));
  await removeContainers(
    docker,
    mine.map((r) => r.Id),
    stopTimeoutSec,
  );
}

// Stops, then removes containers with their anonymous volumes (an image's VOLUME), so no release leaves
// one behind; named volumes are never removed with a container.
async function removeContainers(
  docker: Docker,
  ids: readonly string[],
  stopTimeoutSec: number,
): Promise<void> {
  await Promise.all(
    ids.map(async (id) => {
      const c = docker.getContainer(id);
      await c.stop({ t: stopTimeoutSec }).catch(ignoreStatus(304));
      await c.remove({ force: true, v: true });
    }),
  );
}

/** The images of `refs` the host's engine does not have. */
export async function missingImages(docker: Docker, refs: readonly string[]): Promise<string[]> {
  const present = await Promise.all(
    refs.map((ref) =>
      docker
        .getImage(ref)
        .inspect()
        .then(() => true, ignoreStatus(404)),
    ),
  );
  return refs.filter((_, i) => !present[i]);
}
