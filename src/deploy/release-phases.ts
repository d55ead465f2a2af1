import { setTimeout as sleep } from 'node:timers/promises';
import { CaddyAdmin } from '../caddy/admin-client.ts';
import { switchUpstreams, type UpstreamTarget } from '../caddy/apply.ts';
import * as compose from '../remote/commands/compose.ts';
import * as files from '../remote/commands/files.ts';
import { execOk } from '../remote/transport.ts';
import type { BackupTaken } from './backups.ts';
import * as cmd from './commands.ts';
import type { PinnedCompose } from './compose-file.ts';
import { renderEnvFile } from './env-file.ts';
import type { HostDeployment } from './host-deploy.ts';
import type { HostDocker } from './host-docker.ts';
import { missingImages, pullImage } from './host-docker.ts';
import type { HostFacts } from './host-reads.ts';
import { type AppPaths, type ReleasePaths, releasePaths } from './layout.ts';
import { httpHealth, logContainers, type Probe, ServiceFailure, waitForServices } from './readiness.ts';
import type { ReleaseRecord } from './release.ts';
import { type StatefulSide, writeStatefulMarker } from './stateful-phase.ts';
import { interpolate } from './stateful-plan.ts';
import type { UndoStack } from './undo-stack.ts';

/** Where a phase registers how to take back what it is about to do. */
type Undo = Pick<UndoStack, 'push'>;

/** One release attempt on one host, as decided before anything is written. */
export interface Attempt {
  d: HostDeployment;
  /** The release live on the host now (undefined: the app's first release there). */
  current: ReleaseRecord | undefined;
  engine: HostDocker;
  probe: Probe;
  root: string;
  now: () => Date;
  digestRef: string;
  pinned: PinnedCompose;
  facts: HostFacts;
  release: string;
  app: AppPaths;
  rel: ReleasePaths;
  project: compose.ComposeProject;
  /** The service `${SLIPWAY_PORT}`, the health check and unnamed routes mean. */
  primary?: string;
  caddySocket: string;
  /** The release's `.env` variables (the stateful project's too). */
  vars: Record<string, string>;
  /** The app's stateful services, volumes and stable project on this host. */
  stateful: StatefulSide;
  /** The release command, when this attempt runs it (once per environment, or per host with stateful services). */
  releaseCommand?: readonly string[];
  /** The backups this attempt took, in order. */
  backups: BackupTaken[];
}

/** Prepare: the release's directory, compose file, `.env` and port pairs, written while the image is pulled. */
export async function prepare(a: Attempt, undo: Undo): Promise<void> {
  const { d, rel } = a;
  const t = d.host.transport;
  undo.push(`remove ${rel.dir}`, () => execOk(t, files.rmTree(rel.dir)));
  const writeFiles = async () => {
    await execOk(t, cmd.makeDirs([a.app.releases, rel.dir, rel.scratch, a.app.volume]));
    await Promise.all([
      t.upload(a.pinned.text, rel.compose, { mode: 0o644 }),
      t.upload(renderEnvFile(a.vars), rel.env, { mode: 0o600 }),
      t.upload(`${JSON.stringify(a.facts.ports.pairs)}\n`, a.app.ports, { mode: 0o644 }),
    ]);
  };
  // Both settle before a failure is handled, so the undo never races a write still landing.
  const prepared = await Promise.allSettled([writeFiles(), pull(a)]);
  for (const r of prepared) if (r.status === 'rejected') throw r.reason;
}

// The app image, and every other image of the compose file the host lacks (with the pipeline registry's
// credentials when it is theirs), through the Engine API: compose would pull without them.
async function pull(a: Attempt): Promise<void> {
  const { d } = a;
  const timeout = AbortSignal.timeout(d.policy.timeoutMs);
  const signal = AbortSignal.any([d.signal, timeout]);
  const images = a.pinned.otherImages.map((i) => interpolate(i, a.vars)).filter(Boolean);
  const missing = await missingImages(a.engine.api, images);
  const refs = [a.digestRef, ...missing];
  try {
    await Promise.all(
      refs.map(async (ref) => {
        const auth =
          d.spec.registry && ref.startsWith(`${d.spec.registry.registry}/`) ? d.spec.registry : undefined;
        await pullImage(a.engine.api, ref, { ...(auth ? { auth } : {}), signal });
        d.log(`pulled ${ref}`);
      }),
    );
  } catch (err) {
    if (timeout.aborted && !d.signal.aborted)
      throw new Error(`pull of ${refs.join(', ')} timed out after ${d.policy.timeoutMs / 1000}s`);
    throw err;
  }
}

/** Start: the compose project beside the live release, until every service is in its expected state. */
export async function start(a: Attempt, undo: Undo): Promise<void> {
  const { d, project } = a;
  const t = d.host.transport;
  // Registered before `up`, so containers a half-done `up` created are stopped too; the logs
  // (of the services that failed, else of all) are read before the containers go.
  undo.push(`stop ${project.name}`, () =>
    execOk(t, compose.down(project, { volumes: true, timeoutSec: 5 }), { timeoutMs: 120_000 }),
  );
  undo.push('collect container logs', (cause) =>
    logContainers(a.probe, project.name, cause instanceof ServiceFailure ? cause.services : undefined),
  );
  await execOk(t, compose.up(project), { signal: d.signal, timeoutMs: d.policy.timeoutMs });
  d.log(`started compose project ${project.name} (ports ${JSON.stringify(a.facts.ports.ports)})`);
  const deadline = Date.now() + d.policy.timeoutMs;
  await waitForServices(a.probe, project.name, a.pinned.services, d.policy.services, deadline);
}

/** Verify: the HTTP check from the host itself, when one is set or the app has routes (nothing to undo). */
export async function verify(a: Attempt): Promise<void> {
  const { health } = a.d.policy;
  if (!health && a.d.host.routes.length === 0) return;
  const service = health?.service ?? a.primary;
  const port = service ? a.facts.ports.ports[service] : undefined;
  if (port === undefined) throw new Error(`health check: service ${service ?? '?'} has no host port`);
  await httpHealth(a.probe, port, {
    path: health?.path ?? '/healthz',
    expectStatus: health?.expectStatus ?? 200,
    timeoutMs: health?.timeoutMs ?? 60_000,
  });
}

/** Switch: Caddy's upstreams to the new release through the SSH-forwarded admin socket, then the drain. */
export async function switchTraffic(a: Attempt, undo: Undo): Promise<void> {
  const { d } = a;
  const { routes } = d.host;
  if (routes.length === 0) return;
  if (!a.facts.caddyUp) {
    d.log(`no Caddy admin socket at ${a.caddySocket}: routes left as they are`);
    return;
  }
  const targets: UpstreamTarget[] = routes.map((r) => {
    const port = a.facts.ports.ports[r.service ?? a.primary ?? ''];
    if (port === undefined) throw new Error(`route ${r.url}: service ${r.service ?? '?'} has no host port`);
    return { id: r.upstreamId, dials: [`127.0.0.1:${port}`] };
  });
  // switchUpstreams puts back its own partial writes when it fails, so the undo covers what it returns.
  const switched = await withCaddy(a, (caddy) => switchUpstreams(caddy, targets));
  if (switched.length > 0) {
    undo.push(`restore upstreams ${switched.map((s) => s.id).join(', ')}`, () =>
      withCaddy(a, async (caddy) => {
        for (const s of switched) await caddy.patchUpstreams(s.id, s.previous);
      }),
    );
  }
  d.log(`switched ${routes.length} Caddy upstream(s) to release ${a.release}`);
  if (d.policy.drainMs > 0) await sleep(d.policy.drainMs, undefined, { signal: d.signal });
}

// One forward of Caddy's admin socket for the length of `fn`.
async function withCaddy<T>(a: Attempt, fn: (caddy: CaddyAdmin) => Promise<T>): Promise<T> {
  const fwd = await a.d.host.transport.forwardUnixSocket(a.caddySocket);
  try {
    return await fn(new CaddyAdmin(fwd.localPath, { signal: a.d.signal }));
  } finally {
    await fwd.close();
  }
}

/** Commit: the release marker, then the `current` link, the one act that makes the release the host's. */
export async function commit(a: Attempt, undo: Undo): Promise<ReleaseRecord> {
  const { d, current } = a;
  const t = d.host.transport;
  const record: ReleaseRecord = {
    app: d.spec.app,
    release: a.release,
    environment: d.spec.environment,
    host: d.host.name,
    image: d.spec.repository,
    digest: d.spec.digest,
    configHash: d.host.configHash,
    project: a.project.name,
    ports: a.facts.ports.ports,
    runId: d.run.id,
    sha: d.spec.sha,
    triggeredBy: d.run.triggeredBy,
    ...(d.run.approvedBy?.length ? { approvedBy: d.run.approvedBy } : {}),
    ...(d.spec.restores ? { restores: d.spec.restores } : {}),
    deployedAt: a.now().toISOString(),
  };
  await t.upload(`${JSON.stringify(record, null, 2)}\n`, a.rel.marker, { mode: 0o644 });
  await writeStatefulMarker(a, undo);
  if (current) {
    const old = releasePaths(d.spec.app, current.release, a.root).dir;
    undo.push('restore the current link', () => execOk(t, files.switchLink(old, a.app.current)));
  }
  await execOk(t, files.switchLink(a.rel.dir, a.app.current));
  return record;
}
