// The phases that touch what outlives a release: the app's volumes and shared network (created once,
// never removed), its stateful services (their stable project, changed only when their definition does,
// after a backup), and the release command (after a backup, before any traffic moves).
import { backupCommand, type StatefulMark } from '../config/stateful-services.ts';
import * as compose from '../remote/commands/compose.ts';
import * as files from '../remote/commands/files.ts';
import { execOk } from '../remote/transport.ts';
import { type BackupSite, type BackupTaken, takeBackup } from './backups.ts';
import * as cmd from './commands.ts';
import { renderEnvFile } from './env-file.ts';
import { ensureNetwork, ensureVolume, removeServices, runningServices } from './host-docker.ts';
import { waitForServices } from './readiness.ts';
import type { Attempt } from './release-phases.ts';
import { stableLabels } from './stable-names.ts';
import { definitionChange, type StatefulState, type StatefulWanted } from './stateful-plan.ts';
import type { UndoStack } from './undo-stack.ts';

type Undo = Pick<UndoStack, 'push'>;

/** An app's stateful side on one host: its stable compose project, what it should run, what it runs. */
export interface StatefulSide {
  project: compose.ComposeProject;
  wanted: StatefulWanted;
  /** The marker read from the host (undefined: nothing recorded yet). */
  current: StatefulState | undefined;
  /** The stateful services' compose file (undefined: the app has none). */
  text?: string;
  marks: Readonly<Record<string, StatefulMark>>;
}

/** Where the marker of an app's stateful side is on a host. */
export const statefulMarker = (appDir: { stateful: string }) => `${appDir.stateful}/state.json`;
const markerOf = (a: Attempt) => statefulMarker(a.app);

/** Where this attempt's backups are taken, in the stateful project. */
function backupSite(a: Attempt): BackupSite {
  return {
    transport: a.d.host.transport,
    docker: a.engine.api,
    app: a.d.spec.app,
    root: a.root,
    project: a.stateful.project.name,
    log: a.d.log,
    signal: a.d.signal,
    now: a.now,
  };
}

// Takes a backup of `service` with its backup command and reports it to the caller's ledger.
async function backup(a: Attempt, service: string, reason: string): Promise<BackupTaken | undefined> {
  const argv = backupCommand(a.stateful.marks[service]);
  if (!argv) return undefined;
  const taken = await takeBackup(backupSite(a), service, argv, reason);
  a.backups.push(taken);
  a.d.onBackup?.({ ...taken, releaseId: a.release });
  return taken;
}

/** Volumes and network: the app's named volumes and its shared network exist (created, labelled, never removed). */
export async function stableResources(a: Attempt): Promise<void> {
  const { app, environment } = a.d.spec;
  const docker = a.engine.api;
  for (const v of a.pinned.volumes) {
    const labels = stableLabels(app, environment, { 'dev.slipway.volume': v.volume });
    if ((await ensureVolume(docker, { ...v, labels })) === 'created') a.d.log(`created volume ${v.name}`);
  }
  if (a.pinned.network) await ensureNetwork(docker, a.pinned.network, stableLabels(app, environment));
}

/**
 * Stateful: brings the stable project to the new definitions when one changed (or a service is not
 * running), after a backup of each running service that changes. Its undo puts the previous compose
 * file and `.env` back and starts them again (the backup stays, for what a new definition did to data).
 */
export async function statefulServices(a: Attempt, undo: Undo): Promise<void> {
  const s = a.stateful;
  const { d } = a;
  const names = Object.keys(s.wanted.services);
  if (!s.text || names.length === 0) return;
  const running = await runningServices(a.engine.api, s.project.name);
  const changed = names.filter((n) => s.current?.services[n]?.hash !== s.wanted.services[n]!.hash);
  if (changed.length === 0 && names.every((n) => running.has(n))) {
    d.log(`stateful services unchanged: ${names.join(', ')}`);
    return;
  }
  for (const svc of changed) {
    const live = s.current?.services[svc];
    if (live && running.has(svc))
      await backup(a, svc, `before ${svc} changes (${definitionChange(live, s.wanted.services[svc]!)})`);
  }
  await replaceDefinitions(a, undo);
  await waitForServices(a.probe, s.project.name, names, d.policy.services, Date.now() + d.policy.timeoutMs);
  d.log(
    `stateful services ${changed.length > 0 ? changed.join(', ') : names.join(', ')} up in ${s.project.name}`,
  );
}

// Writes the stateful project's new compose file and `.env` and runs `up` (compose recreates only the
// services whose definition changed); the undo puts the previous files back and runs `up` again.
async function replaceDefinitions(a: Attempt, undo: Undo): Promise<void> {
  const s = a.stateful;
  const { d } = a;
  const t = d.host.transport;
  const dir = a.app.stateful;
  const [prevCompose, prevEnv] = await Promise.all([
    t.exec(files.cat(`${dir}/compose.yml`)),
    t.exec(files.cat(`${dir}/.env`)),
  ]);
  undo.push(`put back the stateful services of ${s.project.name}`, async () => {
    if (prevCompose.exitCode !== 0) return execOk(t, compose.down(s.project, { timeoutSec: 10 }));
    await t.upload(prevCompose.stdout, `${dir}/compose.yml`, { mode: 0o644 });
    await t.upload(prevEnv.stdout, `${dir}/.env`, { mode: 0o600 });
    return execOk(t, compose.up(s.project, { removeOrphans: false }), { timeoutMs: d.policy.timeoutMs });
  });
  await execOk(t, cmd.makeDirs([dir]));
  await Promise.all([
    t.upload(s.text!, `${dir}/compose.yml`, { mode: 0o644 }),
    t.upload(renderEnvFile(a.vars), `${dir}/.env`, { mode: 0o600 }),
  ]);
  await execOk(t, compose.up(s.project, { removeOrphans: false }), {
    signal: d.signal,
    timeoutMs: d.policy.timeoutMs,
  });
}

/**
 * Release command: on the host chosen to run it, a backup of each stateful service that has a backup
 * command (unless this attempt just took one), then the command once in a new container of the app's
 * service (the new image, the release's `.env` and networks). Its output goes to the log; a non-zero exit
 * fails the attempt before the release starts, so the old release keeps serving.
 */
export async function releaseCommand(a: Attempt, undo: Undo): Promise<void> {
  const argv = a.releaseCommand;
  if (!argv) return;
  const { d } = a;
  const taken = new Set(a.backups.map((b) => b.service));
  for (const svc of Object.keys(a.stateful.wanted.services))
    if (!taken.has(svc)) await backup(a, svc, 'before the release command');
  const service = a.pinned.appServices[0]!;
  const t = d.host.transport;
  undo.push(`remove what the release command left of ${a.project.name}`, () =>
    execOk(t, compose.down(a.project, { volumes: true, timeoutSec: 5 }), { timeoutMs: 120_000 }),
  );
  d.log(`release command in ${service}: ${argv.join(' ')}`);
  const began = Date.now();
  const r = await t.exec(compose.run(a.project, service, argv), {
    signal: d.signal,
    timeoutMs: d.policy.timeoutMs,
  });
  for (const line of r.stdout.split('\n').filter(Boolean)) d.log(`[release command] ${line}`);
  for (const line of r.stderr.split('\n').filter(Boolean))
    d.log(`[release command] ${line}`, r.exitCode === 0 ? 'stdout' : 'stderr');
  const took = `${((Date.now() - began) / 1000).toFixed(1)}s`;
  if (r.exitCode !== 0)
    throw new Error(`release command ${argv[0]} exited with code ${r.exitCode} after ${took}`);
  d.log(`release command done in ${took}`);
}

/** Part of the commit: the marker of the stateful side (what its project runs, which volumes exist). */
export async function writeStatefulMarker(a: Attempt, undo: Undo): Promise<void> {
  const s = a.stateful;
  const t = a.d.host.transport;
  const state: StatefulState = { services: s.wanted.services, volumes: s.wanted.volumes };
  undo.push('put back the stateful marker', () =>
    s.current
      ? t.upload(`${JSON.stringify(s.current, null, 2)}\n`, markerOf(a), { mode: 0o644 })
      : execOk(t, cmd.removeFiles([markerOf(a)])),
  );
  await execOk(t, cmd.makeDirs([a.app.stateful]));
  await t.upload(`${JSON.stringify(state, null, 2)}\n`, markerOf(a), { mode: 0o644 });
}

/** After the release is live: stateful services no longer in the compose file are stopped, their volumes kept. */
export async function stopRemovedStateful(a: Attempt): Promise<void> {
  const s = a.stateful;
  const gone = Object.keys(s.current?.services ?? {}).filter((n) => !s.wanted.services[n]);
  if (gone.length === 0) return;
  try {
    await removeServices(a.engine.api, s.project.name, gone, 30);
    a.d.log(
      `stopped stateful service(s) ${gone.join(', ')}, no longer in the compose file; their volumes are kept`,
    );
  } catch (err) {
    a.d.log(`could not stop ${gone.join(', ')}: ${(err as Error).message}`, 'stderr');
  }
}
