import { setTimeout as sleep } from 'node:timers/promises';
import { CaddyAdmin } from '../caddy/admin-client.ts';
import { switchUpstreams, type UpstreamWrite } from '../caddy/apply.ts';
import { ADMIN_SOCKET } from '../caddy/render.ts';
import * as compose from '../remote/commands/compose.ts';
import * as files from '../remote/commands/files.ts';
import { execOk, type Transport } from '../remote/transport.ts';
import { errorMessage } from '../util/errors.ts';
import * as cmd from './commands.ts';
import { pinCompose } from './compose-file.ts';
import { type ExpectedState, judgeService, serviceOf } from './container-state.ts';
import { renderEnvFile } from './env-file.ts';
import {
  checkEngine,
  containerLogTail,
  type HostDocker,
  inspectContainers,
  openHostDocker,
  projectContainers,
  pruneImages,
  pullImage,
  removeProject,
} from './host-docker.ts';
import { APPS_ROOT, appPaths, releasePaths } from './layout.ts';
import { allocatePorts, type PortPairs, parseListeningPorts } from './ports.ts';
import { parseReleaseMarker, type ReleaseRecord } from './release.ts';
import { releaseVariables } from './release-env.ts';
import { composeProject, isReleaseId, newReleaseId } from './release-id.ts';
import type { AppRoute } from './routes.ts';

/** The HTTP check a release must pass from its own host before it gets traffic. */
export interface HealthCheck {
  path: string;
  /** Service whose host port is checked. */
  service: string;
  expectStatus: number;
  timeoutMs: number;
}

/** Everything needed to deploy one release of an app to one host. */
export interface HostDeployment {
  app: string;
  environment: string;
  host: string;
  transport: Transport;
  repository: string;
  digest: string;
  digestRef: string;
  registry?: { registry: string; username: string; password: string };
  composeSource: string;
  composeFile: string;
  env: Readonly<Record<string, string>>;
  secrets: Readonly<Record<string, string>>;
  routes: readonly AppRoute[];
  /** Expected state per service; unlisted services are expected `running`. */
  services: Readonly<Record<string, ExpectedState>>;
  health?: Omit<HealthCheck, 'service'> & { service?: string };
  timeoutMs: number;
  drainMs: number;
  keep: number;
  configHash: string;
  run: { id: string; sha: string; triggeredBy: string; approvedBy?: string[] };
  log(line: string, stream?: 'stdout' | 'stderr'): void;
  signal: AbortSignal;
  now?: () => Date;
  appsRoot?: string;
  /** Caddy's admin socket on the host (inventory var `caddy_admin_socket`, as the caddy step reads it). */
  caddySocket?: string;
  /** The Docker Engine's socket on the host (inventory var `docker_socket`). */
  dockerSocket?: string;
}

/** A host's deploy failed; the host was put back on its previous release (unless `rolledBack` is false). */
export class HostDeployError extends Error {
  readonly host: string;
  readonly rolledBack: boolean;
  constructor(host: string, message: string, rolledBack: boolean, options?: ErrorOptions) {
    super(`${host}: ${message}`, options);
    this.name = 'HostDeployError';
    this.host = host;
    this.rolledBack = rolledBack;
  }
}

class ServiceFailure extends Error {
  readonly services: string[];
  constructor(message: string, services: string[]) {
    super(message);
    this.services = services;
  }
}

/** The release running on a host now, from its marker; undefined when the app was never deployed there. */
export async function readCurrentRelease(
  t: Transport,
  app: string,
  root = APPS_ROOT,
): Promise<ReleaseRecord | undefined> {
  const r = await t.exec(files.cat(`${appPaths(app, root).current}/release.json`));
  return r.exitCode === 0 ? parseReleaseMarker(r.stdout) : undefined;
}

type ComposeRuntime = Pick<compose.ComposeProject, 'flavor' | 'stdlibDistutils'>;

// `docker compose` (v2) answers fast; v1 is a Python program that takes most of a second to start,
// so it is not probed: a host without either fails at `up` with compose's own message. The python3
// probe (tens of milliseconds, run alongside) saves v1 a quarter of a second per run.
async function detectCompose(t: Transport): Promise<ComposeRuntime> {
  const [v2, stdlib] = await Promise.all([t.exec(compose.detect('v2')), t.exec(compose.stdlibDistutils())]);
  return v2.exitCode === 0 ? { flavor: 'v2' } : { flavor: 'v1', stdlibDistutils: stdlib.exitCode === 0 };
}

function readPairs(text: string): PortPairs {
  try {
    return JSON.parse(text) as PortPairs;
  } catch {
    return {};
  }
}

/**
 * Deploys one release to one host: files, pull, start beside the live release, wait for the
 * services and the HTTP check, switch Caddy, drain, stop the old release. On failure the host is
 * put back on its previous release and HostDeployError is thrown.
 */
export async function deployToHost(
  d: HostDeployment,
  current: ReleaseRecord | undefined,
): Promise<ReleaseRecord> {
  const engine = await openHostDocker(d.transport, d.dockerSocket);
  try {
    return await releaseOnHost(d, current, engine);
  } finally {
    await engine.close();
  }
}

async function releaseOnHost(
  d: HostDeployment,
  current: ReleaseRecord | undefined,
  engine: HostDocker,
): Promise<ReleaseRecord> {
  const t = d.transport;
  const began = Date.now();
  const root = d.appsRoot ?? APPS_ROOT;
  const app = appPaths(d.app, root);
  const now = d.now ?? (() => new Date());
  const pinned = pinCompose(d.composeSource, d.digestRef, d.composeFile);
  // Independent reads run at once on the one multiplexed connection: one round trip, not six.
  // Ports: this app's stable pairs, everything listening, and every other app's pairs.
  const caddySocket = d.caddySocket ?? ADMIN_SOCKET;
  const [runtime, own, all, sockets, releaseDirs, caddyUp] = await Promise.all([
    detectCompose(t),
    t.exec(files.cat(app.ports)),
    t.exec(cmd.catPortsFiles(root)),
    execOk(t, cmd.listeningSockets()),
    t.exec(cmd.listDir(app.releases)),
    d.routes.length > 0 ? t.exec(cmd.isSocket(caddySocket)) : undefined,
    checkEngine(engine),
  ]);
  const reserved = new Set<number>();
  for (const line of all.stdout.split('\n').filter(Boolean)) {
    for (const pair of Object.values(readPairs(line))) for (const p of pair) reserved.add(p);
  }
  const listening = parseListeningPorts(sockets.stdout);
  const alloc = allocatePorts({
    services: pinned.portServices,
    existing: own.exitCode === 0 ? readPairs(own.stdout) : {},
    ...(current ? { live: current.ports } : {}),
    listening,
    reserved,
  });

  const existingReleases = releaseDirs.stdout.split('\n').filter(isReleaseId);
  let release = newReleaseId(now(), d.run.sha);
  for (let n = 2; existingReleases.includes(release); n++) release = `${newReleaseId(now(), d.run.sha)}-${n}`;
  const rel = releasePaths(d.app, release, root);
  const project = composeProject(d.app, release);
  const proj: compose.ComposeProject = {
    ...runtime,
    name: project,
    files: [rel.compose],
    directory: rel.dir,
  };
  const primary = d.health?.service ?? d.routes.find((r) => r.service)?.service ?? pinned.portServices[0];
  const vars = releaseVariables(d.env, d.secrets, {
    app: d.app,
    environment: d.environment,
    host: d.host,
    release,
    digestRef: d.digestRef,
    ports: alloc.ports,
    ...(primary ? { primaryService: primary } : {}),
    volume: app.volume,
    releaseDir: rel.scratch,
    routes: d.routes,
  });

  const record: ReleaseRecord = {
    app: d.app,
    release,
    environment: d.environment,
    host: d.host,
    image: d.repository,
    digest: d.digest,
    configHash: d.configHash,
    project,
    ports: alloc.ports,
    runId: d.run.id,
    sha: d.run.sha,
    triggeredBy: d.run.triggeredBy,
    ...(d.run.approvedBy?.length ? { approvedBy: d.run.approvedBy } : {}),
    deployedAt: '',
  };

  let started = false;
  let switched: UpstreamWrite[] = [];
  let linked = false;
  let caddy: CaddyAdmin | undefined;
  let closeForward: (() => Promise<void>) | undefined;
  try {
    d.log(`release ${release}: ${d.digestRef}`);
    // The pull needs none of the files: it runs while they are written. Both settle before a
    // failure is handled, so the rollback never races a write still landing.
    const prepared = await Promise.allSettled([
      (async () => {
        await execOk(t, cmd.makeDirs([app.releases, rel.dir, rel.scratch, app.volume]));
        await Promise.all([
          t.upload(pinned.text, rel.compose, { mode: 0o644 }),
          t.upload(renderEnvFile(vars), rel.env, { mode: 0o600 }),
          t.upload(`${JSON.stringify(alloc.pairs)}\n`, app.ports, { mode: 0o644 }),
        ]);
      })(),
      pull(d, engine),
    ]);
    for (const r of prepared) if (r.status === 'rejected') throw r.reason;

    started = true;
    await execOk(t, compose.up(proj), { signal: d.signal, timeoutMs: d.timeoutMs });
    d.log(`started compose project ${project} (ports ${JSON.stringify(alloc.ports)})`);
    const deadline = Date.now() + d.timeoutMs;
    await waitForServices(d, engine, project, pinned.services, deadline);

    if (d.health || d.routes.length > 0) {
      const service = d.health?.service ?? primary;
      const port = service ? alloc.ports[service] : undefined;
      if (port === undefined) throw new Error(`health check: service ${service ?? '?'} has no host port`);
      await httpHealth(d, port, {
        path: d.health?.path ?? '/healthz',
        expectStatus: d.health?.expectStatus ?? 200,
        timeoutMs: d.health?.timeoutMs ?? 60_000,
      });
    }

    if (d.routes.length > 0 && caddyUp?.exitCode === 0) {
      const fwd = await t.forwardUnixSocket(caddySocket);
      closeForward = () => fwd.close();
      caddy = new CaddyAdmin(fwd.localPath, { signal: d.signal });
      const targets = d.routes.map((r) => {
        const port = alloc.ports[r.service ?? primary ?? ''];
        if (port === undefined)
          throw new Error(`route ${r.url}: service ${r.service ?? '?'} has no host port`);
        return { id: r.upstreamId, dials: [`127.0.0.1:${port}`] };
      });
      switched = await switchUpstreams(caddy, targets);
      d.log(`switched ${d.routes.length} Caddy upstream(s) to release ${release}`);
      if (d.drainMs > 0) await sleep(d.drainMs, undefined, { signal: d.signal });
    } else if (d.routes.length > 0) {
      d.log(`no Caddy admin socket at ${caddySocket}: routes left as they are`);
    }

    record.deployedAt = now().toISOString();
    await t.upload(`${JSON.stringify(record, null, 2)}\n`, rel.marker, { mode: 0o644 });
    linked = true;
    await execOk(t, files.switchLink(rel.dir, app.current));
  } catch (err) {
    const reason = errorMessage(err);
    d.log(`release ${release} failed: ${reason}`, 'stderr');
    const rolledBack = await rollBack(d, engine, {
      project: proj,
      started,
      switched,
      caddy,
      restoreLink: linked ? current : undefined,
      linkPath: app.current,
      releaseDir: rel.dir,
      failedServices: err instanceof ServiceFailure ? err.services : undefined,
      root,
    });
    await closeForward?.();
    throw new HostDeployError(d.host, reason, rolledBack, { cause: err });
  }
  await closeForward?.();

  // The new release serves; what follows only tidies up, so a failure is a warning, not a rollback.
  await Promise.all([
    current ? stopRelease(d, engine, current) : undefined,
    keepReleases(d, engine, root, release),
  ]);
  d.log(`release ${release} live after ${((Date.now() - began) / 1000).toFixed(1)}s`);
  return record;
}

async function stopRelease(d: HostDeployment, engine: HostDocker, old: ReleaseRecord): Promise<void> {
  try {
    await removeProject(engine.api, old.project, 10);
    d.log(`stopped release ${old.release}`);
  } catch (err) {
    d.log(`could not stop ${old.project}: ${errorMessage(err)}`, 'stderr');
  }
}

async function pull(d: HostDeployment, engine: HostDocker): Promise<void> {
  const timeout = AbortSignal.timeout(d.timeoutMs);
  try {
    await pullImage(engine.api, d.digestRef, {
      ...(d.registry ? { auth: d.registry } : {}),
      signal: AbortSignal.any([d.signal, timeout]),
    });
  } catch (err) {
    if (timeout.aborted && !d.signal.aborted)
      throw new Error(`pull of ${d.digestRef} timed out after ${d.timeoutMs / 1000}s`);
    throw err;
  }
  d.log(`pulled ${d.digestRef}`);
}

async function waitForServices(
  d: HostDeployment,
  engine: HostDocker,
  project: string,
  services: readonly string[],
  deadline: number,
): Promise<void> {
  let last = '';
  // `up -d` has created every container when it returns: list them once, then only inspect them.
  let ids: string[] = [];
  for (;;) {
    d.signal.throwIfAborted();
    if (ids.length < services.length) ids = await projectContainers(engine.api, project);
    const infos = await inspectContainers(engine.api, ids);
    const waiting: string[] = [];
    for (const svc of services) {
      const verdict = judgeService(
        d.services[svc] ?? 'running',
        infos.filter((c) => serviceOf(c) === svc),
      );
      if (verdict.state === 'failed') throw new ServiceFailure(`service ${svc} ${verdict.why}`, [svc]);
      if (verdict.state === 'waiting') waiting.push(`${svc}: ${verdict.why}`);
    }
    if (waiting.length === 0) {
      d.log(
        `services reached their expected state: ${services.map((s) => `${s}=${d.services[s] ?? 'running'}`).join(', ')}`,
      );
      return;
    }
    const now = waiting.join(', ');
    if (now !== last) d.log(`waiting for ${now}`);
    last = now;
    if (Date.now() > deadline) {
      throw new ServiceFailure(
        `deploy timeout: ${now}`,
        waiting.map((w) => w.split(':')[0]!),
      );
    }
    await sleep(250, undefined, { signal: d.signal });
  }
}

async function httpHealth(
  d: HostDeployment,
  port: number,
  check: Omit<HealthCheck, 'service'>,
): Promise<void> {
  const url = `http://127.0.0.1:${port}${check.path}`;
  const deadline = Date.now() + check.timeoutMs;
  let status = '';
  for (;;) {
    const r = await d.transport.exec(cmd.httpStatus(url, 5), { signal: d.signal });
    status = r.stdout.trim();
    if (status === String(check.expectStatus)) {
      d.log(`health check ${url}: ${status}`);
      return;
    }
    if (Date.now() > deadline) break;
    await sleep(250, undefined, { signal: d.signal });
  }
  throw new Error(`health check ${url} answered ${status || 'nothing'}, expected ${check.expectStatus}`);
}

async function rollBack(
  d: HostDeployment,
  engine: HostDocker,
  s: {
    project: compose.ComposeProject;
    started: boolean;
    switched: UpstreamWrite[];
    caddy: CaddyAdmin | undefined;
    restoreLink: ReleaseRecord | undefined;
    linkPath: string;
    releaseDir: string;
    failedServices: string[] | undefined;
    root: string;
  },
): Promise<boolean> {
  const t = d.transport;
  let ok = true;
  const attempt = async (what: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch (err) {
      ok = false;
      d.log(`rollback: could not ${what}: ${errorMessage(err)}`, 'stderr');
    }
  };
  // Traffic first: the old release is still running, so pointing Caddy back at it ends the outage.
  for (const sw of s.switched) {
    await attempt(`restore upstream ${sw.id}`, () => s.caddy!.patchUpstreams(sw.id, sw.previous));
  }
  if (s.restoreLink) {
    const old = releasePaths(d.app, s.restoreLink.release, s.root);
    await attempt('restore the current link', () => execOk(t, files.switchLink(old.dir, s.linkPath)));
  }
  if (s.started) {
    await attempt('collect container logs', () => logContainers(d, engine, s.project.name, s.failedServices));
    await attempt(`stop ${s.project.name}`, () =>
      execOk(t, compose.down(s.project, { timeoutSec: 5 }), { timeoutMs: 120_000 }),
    );
  }
  await attempt(`remove ${s.releaseDir}`, () => execOk(t, files.rmTree(s.releaseDir)));
  d.log(
    ok ? 'rolled back: the previous release keeps serving' : 'rollback incomplete',
    ok ? 'stdout' : 'stderr',
  );
  return ok;
}

async function logContainers(
  d: HostDeployment,
  engine: HostDocker,
  project: string,
  only: string[] | undefined,
): Promise<void> {
  const infos = await inspectContainers(engine.api, await projectContainers(engine.api, project));
  for (const c of infos) {
    const svc = serviceOf(c) ?? c.Id.slice(0, 12);
    if (only && !only.includes(svc)) continue;
    const lines = await containerLogTail(engine.api, c, 50);
    d.log(`--- logs of service ${svc} (${c.State.Status}) ---`, 'stderr');
    for (const line of lines) d.log(`[${svc}] ${line}`, 'stderr');
  }
}

// Keeps the newest `keep` releases (always the live one), removes the rest and the images only they used.
async function keepReleases(
  d: HostDeployment,
  engine: HostDocker,
  root: string,
  live: string,
): Promise<void> {
  const t = d.transport;
  const app = appPaths(d.app, root);
  const ids = (await t.exec(cmd.listDir(app.releases))).stdout.split('\n').filter(isReleaseId).sort();
  const kept = new Set([...ids.slice(-d.keep), live]);
  const keptDigests = new Set<string>();
  const gone: { id: string; digest?: string }[] = [];
  const markers = await Promise.all(
    ids.map(async (id) =>
      parseReleaseMarker((await t.exec(files.cat(releasePaths(d.app, id, root).marker))).stdout),
    ),
  );
  for (const [i, id] of ids.entries()) {
    const marker = markers[i];
    if (kept.has(id)) {
      if (marker) keptDigests.add(marker.digest);
    } else gone.push({ id, ...(marker ? { digest: marker.digest } : {}) });
  }
  await Promise.all(gone.map((g) => t.exec(files.rmTree(releasePaths(d.app, g.id, root).dir))));
  for (const g of gone) d.log(`removed old release ${g.id}`);
  const unused = [
    ...new Set(gone.flatMap((g) => (g.digest && !keptDigests.has(g.digest) ? [g.digest] : []))),
  ];
  await pruneImages(
    engine.api,
    unused.map((digest) => `${d.repository}@${digest}`),
  ).catch((err: Error) => d.log(`could not prune images: ${err.message}`, 'stderr'));
}
