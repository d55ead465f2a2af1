import { ADMIN_SOCKET } from '../caddy/render.ts';
import type { StatefulMark } from '../config/stateful-services.ts';
import { digestReference } from '../docker/image-ref.ts';
import type { RegistryCredentials } from '../docker/push.ts';
import * as files from '../remote/commands/files.ts';
import type { Transport } from '../remote/transport.ts';
import { errorMessage } from '../util/errors.ts';
import { type BackupTaken, pruneBackups } from './backups.ts';
import { pinCompose } from './compose-file.ts';
import type { ExpectedState } from './container-state.ts';
import { type HostDocker, openHostDocker } from './host-docker.ts';
import { readHost } from './host-reads.ts';
import { APPS_ROOT, appPaths, releasePaths } from './layout.ts';
import type { HealthCheck } from './readiness.ts';
import { parseReleaseMarker, type ReleaseRecord } from './release.ts';
import { releaseVariables } from './release-env.ts';
import { composeProject, newReleaseId } from './release-id.ts';
import { type Attempt, commit, prepare, start, switchTraffic, verify } from './release-phases.ts';
import type { AppRoute } from './routes.ts';
import { statefulProject } from './stable-names.ts';
import {
  releaseCommand,
  stableResources,
  statefulMarker,
  statefulServices,
  stopRemovedStateful,
} from './stateful-phase.ts';
import { parseStatefulState, type StatefulState, statefulWanted } from './stateful-plan.ts';
import { keepReleases, stopOtherReleases } from './tidy.ts';
import { UndoStack } from './undo-stack.ts';

/** What is released: the same on every host of a rollout. */
export interface ReleaseSpec {
  app: string;
  environment: string;
  /** Image repository, without tag or digest. */
  repository: string;
  digest: string;
  registry?: RegistryCredentials;
  composeSource: string;
  composeFile: string;
  env: Readonly<Record<string, string>>;
  secrets: Readonly<Record<string, string>>;
  /** The commit the release is named after: the run's, or for a rollback the restored release's. */
  sha: string;
  /** The release id a rollback restores. */
  restores?: string;
  /** The deploy step's `stateful:` marks (which services hold data, how to back them up). */
  stateful: Readonly<Record<string, StatefulMark>>;
  /** The deploy step's release command (run where the rollout says). */
  releaseCommand?: readonly string[];
}

/** How a release must behave to go live, and what is kept after. */
export interface ReleasePolicy {
  /** Expected state per service; unlisted services are expected `running`. */
  services: Readonly<Record<string, ExpectedState>>;
  health?: Omit<HealthCheck, 'service'> & { service?: string };
  timeoutMs: number;
  drainMs: number;
  keep: number;
}

/** One host of the rollout and how it is reached. */
export interface DeployHost {
  name: string;
  transport: Transport;
  routes: readonly AppRoute[];
  configHash: string;
  /** Caddy's admin socket on the host (inventory var `caddy_admin_socket`, as the caddy step reads it). */
  caddySocket?: string;
  /** The Docker Engine's socket on the host (inventory var `docker_socket`). */
  dockerSocket?: string;
  appsRoot?: string;
}

/** Everything needed to deploy one release of an app to one host. */
export interface HostDeployment {
  spec: ReleaseSpec;
  policy: ReleasePolicy;
  host: DeployHost;
  run: { id: string; triggeredBy: string; approvedBy?: string[] };
  /** Run the release command on this host (the first host of the environment, or each with stateful services). */
  runReleaseCommand?: boolean;
  /** Told each backup as soon as it is taken (it stays on the host even if the release fails after). */
  onBackup?(b: BackupTaken & { releaseId?: string }): void;
  /** Told the backups of a service removed beyond its `keep`. */
  onBackupsRemoved?(service: string, backupIds: readonly string[]): void;
  log(line: string, stream?: 'stdout' | 'stderr'): void;
  signal: AbortSignal;
  now?: () => Date;
}

/** What runs on a host now: the live release and the marker of the app's stateful side. */
export interface LiveApp {
  release?: ReleaseRecord;
  stateful?: StatefulState;
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

/** The release running on a host now and its stateful side, from their markers (empty: never deployed there). */
export async function readLiveApp(t: Transport, app: string, root = APPS_ROOT): Promise<LiveApp> {
  const paths = appPaths(app, root);
  const [release, stateful] = await Promise.all([
    t.exec(files.cat(`${paths.current}/release.json`)),
    t.exec(files.cat(statefulMarker(paths))),
  ]);
  const r = release.exitCode === 0 ? parseReleaseMarker(release.stdout) : undefined;
  const st = stateful.exitCode === 0 ? parseStatefulState(stateful.stdout) : undefined;
  return { ...(r ? { release: r } : {}), ...(st ? { stateful: st } : {}) };
}

/**
 * Deploys one release to one host in phases (prepare, start, verify, switch, commit), each
 * registering its undo; on failure the undos run newest first, the host keeps its previous release
 * and HostDeployError is thrown. After the commit, the old release is stopped and old ones pruned.
 */
export async function deployToHost(d: HostDeployment, live: LiveApp): Promise<ReleaseRecord> {
  const engine = await openHostDocker(d.host.transport, d.host.dockerSocket);
  try {
    const began = Date.now();
    const a = await planAttempt(d, live, engine);
    const record = await runPhases(a);
    // The new release serves; what follows only tidies up, so a failure is a warning, not a rollback.
    const tidy = {
      transport: d.host.transport,
      engine,
      app: d.spec.app,
      root: a.root,
      repository: d.spec.repository,
      log: d.log,
    };
    await Promise.all([
      stopOtherReleases(tidy, a.project.name),
      keepReleases(tidy, d.policy.keep, a.release),
      stopRemovedStateful(a),
      keepBackups(a),
    ]);
    d.log(`release ${a.release} live after ${((Date.now() - began) / 1000).toFixed(1)}s`);
    return record;
  } finally {
    await engine.close();
  }
}

// Reads the host and names the release; nothing is written yet, so a failure here needs no undo.
async function planAttempt(d: HostDeployment, live: LiveApp, engine: HostDocker): Promise<Attempt> {
  const current = live.release;
  const root = d.host.appsRoot ?? APPS_ROOT;
  const now = d.now ?? (() => new Date());
  const digestRef = digestReference(d.spec.repository, d.spec.digest);
  const target = { app: d.spec.app, environment: d.spec.environment, marks: d.spec.stateful };
  const pinned = pinCompose(d.spec.composeSource, digestRef, d.spec.composeFile, target);
  const caddySocket = d.host.caddySocket ?? ADMIN_SOCKET;
  const facts = await readHost(d.host.transport, engine, {
    app: d.spec.app,
    root,
    portServices: pinned.portServices,
    current,
    ...(d.host.routes.length > 0 ? { caddySocket } : {}),
  });
  let release = newReleaseId(now(), d.spec.sha);
  for (let n = 2; facts.releaseIds.includes(release); n++)
    release = `${newReleaseId(now(), d.spec.sha)}-${n}`;
  const rel = releasePaths(d.spec.app, release, root);
  const app = appPaths(d.spec.app, root);
  const primary =
    d.policy.health?.service ?? d.host.routes.find((r) => r.service)?.service ?? pinned.portServices[0];
  const vars = releaseVariables(d.spec.env, d.spec.secrets, {
    app: d.spec.app,
    environment: d.spec.environment,
    host: d.host.name,
    release,
    digestRef,
    ports: facts.ports.ports,
    ...(primary ? { primaryService: primary } : {}),
    volume: app.volume,
    releaseDir: rel.scratch,
    routes: d.host.routes,
  });
  return {
    d,
    current,
    engine,
    probe: { transport: d.host.transport, engine, log: d.log, signal: d.signal },
    root,
    now,
    digestRef,
    pinned,
    facts,
    release,
    app,
    rel,
    project: {
      ...facts.runtime,
      name: composeProject(d.spec.app, release),
      files: [rel.compose],
      directory: rel.dir,
    },
    ...(primary ? { primary } : {}),
    caddySocket,
    vars,
    stateful: {
      project: {
        ...facts.runtime,
        name: statefulProject(d.spec.app, d.spec.environment),
        files: [`${app.stateful}/compose.yml`],
        directory: app.stateful,
      },
      wanted: statefulWanted(d.spec.app, pinned, vars, d.spec.stateful),
      current: live.stateful,
      ...(pinned.stateful ? { text: pinned.stateful.text } : {}),
      marks: d.spec.stateful,
    },
    ...(d.runReleaseCommand && d.spec.releaseCommand ? { releaseCommand: d.spec.releaseCommand } : {}),
    backups: [],
  };
}

// After the release is live: each service's backups beyond its `keep` are removed (a warning if not).
async function keepBackups(a: Attempt): Promise<void> {
  for (const [service, mark] of Object.entries(a.d.spec.stateful)) {
    if (mark === false || !mark.backup) continue;
    try {
      const gone = await pruneBackups(a.d.host.transport, a.d.spec.app, a.root, service, mark.keep);
      if (gone.length > 0) {
        a.d.onBackupsRemoved?.(service, gone);
        a.d.log(`removed old backup(s) of ${service}: ${gone.join(', ')}`);
      }
    } catch (err) {
      a.d.log(`could not prune the backups of ${service}: ${errorMessage(err)}`, 'stderr');
    }
  }
}

// The phases in order; a failure unwinds what the earlier ones registered.
async function runPhases(a: Attempt): Promise<ReleaseRecord> {
  const { d } = a;
  const undo = new UndoStack();
  try {
    d.log(
      `release ${a.release}: ${a.digestRef}${d.spec.restores ? ` (rollback to ${d.spec.restores})` : ''}`,
    );
    await prepare(a, undo);
    await stableResources(a);
    await statefulServices(a, undo);
    await releaseCommand(a, undo);
    await start(a, undo);
    await verify(a);
    await switchTraffic(a, undo);
    return await commit(a, undo);
  } catch (err) {
    const reason = errorMessage(err);
    d.log(`release ${a.release} failed: ${reason}`, 'stderr');
    const rolledBack = await undo.unwind(err, (line) => d.log(line, 'stderr'));
    d.log(
      rolledBack ? 'rolled back: the previous release keeps serving' : 'rollback incomplete',
      rolledBack ? 'stdout' : 'stderr',
    );
    throw new HostDeployError(d.host.name, reason, rolledBack, { cause: err });
  }
}
