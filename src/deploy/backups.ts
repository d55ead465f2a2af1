// Backups of an app's stateful services on a host: the service's own command run in its container,
// its output streamed to a 0600 file beside the app (never through the runner), kept N deep.
import type Docker from 'dockerode';
import { execOk, type Transport } from '../remote/transport.ts';
import type { BackupRecord } from '../store/types.ts';
import * as cmd from './commands.ts';
import { appPaths } from './layout.ts';

/** A backup taken on a host: what the ledger records of it besides where and when. */
export type BackupTaken = Pick<
  BackupRecord,
  'service' | 'backupId' | 'path' | 'bytes' | 'durationMs' | 'reason'
>;

/** Where a backup is taken and how it is reported. */
export interface BackupSite {
  transport: Transport;
  docker: Docker;
  app: string;
  root: string;
  /** The compose project the service's container runs in. */
  project: string;
  log(line: string, stream?: 'stdout' | 'stderr'): void;
  signal: AbortSignal;
  now(): Date;
}

const BACKUP_ID = /^\d{8}-\d{6}-[A-Za-z0-9][A-Za-z0-9_.-]*?(-\d+)?$/;

/** True for a backup id Slipway makes (the only names it reads or deletes in a backup directory). */
export function isBackupId(id: string): boolean {
  return BACKUP_ID.test(id) && !id.includes('..');
}

/** The file of backup `backupId` of `service`. */
export function backupPath(app: string, root: string, service: string, backupId: string): string {
  if (!isBackupId(backupId))
    throw new Error(`expected a backup id like 20260101-120000-db, got ${JSON.stringify(backupId)}`);
  return `${appPaths(app, root).backups}/${service}/${backupId}.backup`;
}

/** The running container of `service` in `project`; throws saying so when there is none. */
export async function serviceContainer(docker: Docker, project: string, service: string): Promise<string> {
  const rows = await docker.listContainers({
    filters: { label: [`com.docker.compose.project=${project}`, `com.docker.compose.service=${service}`] },
  });
  const id = rows[0]?.Id;
  if (!id) throw new Error(`service ${service} has no running container in compose project ${project}`);
  return id;
}

// `20260101-120000-db`, with `-2`, `-3` when the second already has one.
async function newBackupId(s: BackupSite, service: string): Promise<string> {
  const t = s.now().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const dir = `${appPaths(s.app, s.root).backups}/${service}`;
  const taken = (await s.transport.exec(cmd.listDir(dir))).stdout.split('\n');
  let id = `${t}-${service}`;
  for (let n = 2; taken.includes(`${id}.backup`); n++) id = `${t}-${service}-${n}`;
  return id;
}

/**
 * Runs the service's backup command in its running container, its stdout streamed to a 0600 file in a
 * 0700 directory on the host. Throws (leaving no partial file) when the command exits non-zero: the
 * change it was taken for must not go ahead.
 */
export async function takeBackup(
  s: BackupSite,
  service: string,
  argv: readonly string[],
  reason: string,
): Promise<BackupTaken> {
  const began = Date.now();
  const container = await serviceContainer(s.docker, s.project, service);
  await execOk(s.transport, cmd.makePrivateDir(`${appPaths(s.app, s.root).backups}/${service}`));
  const backupId = await newBackupId(s, service);
  const path = backupPath(s.app, s.root, service, backupId);
  const r = await s.transport.exec(cmd.backupTo(path, container, argv), { signal: s.signal });
  if (r.exitCode !== 0) {
    for (const line of r.stderr.split('\n').filter(Boolean).slice(-20))
      s.log(`[backup ${service}] ${line}`, 'stderr');
    throw new Error(
      `backup of ${service} failed: ${argv[0]} exited with code ${r.exitCode}, so ${reason.replace(/^before /, '')} does not go ahead`,
    );
  }
  const bytes = Number.parseInt(r.stdout.trim(), 10) || 0;
  const durationMs = Date.now() - began;
  s.log(`backup ${backupId} of ${service} (${reason}): ${bytes} bytes in ${(durationMs / 1000).toFixed(1)}s`);
  return { service, backupId, path, bytes, durationMs, reason };
}

/** Keeps the newest `keep` backups of `service` on the host and removes the others; returns the removed ids. */
export async function pruneBackups(
  t: Transport,
  app: string,
  root: string,
  service: string,
  keep: number,
): Promise<string[]> {
  const dir = `${appPaths(app, root).backups}/${service}`;
  const ids = (await t.exec(cmd.listDir(dir))).stdout
    .split('\n')
    .filter((f) => f.endsWith('.backup'))
    .map((f) => f.slice(0, -'.backup'.length))
    .filter(isBackupId)
    .sort();
  const gone = ids.slice(0, Math.max(0, ids.length - keep));
  if (gone.length > 0) await execOk(t, cmd.removeFiles(gone.map((id) => backupPath(app, root, service, id))));
  return gone;
}

/** Feeds a backup file to the service's restore command in its running container; throws when it fails. */
export async function restoreBackup(
  s: BackupSite,
  service: string,
  backupId: string,
  argv: readonly string[],
): Promise<void> {
  const container = await serviceContainer(s.docker, s.project, service);
  const path = backupPath(s.app, s.root, service, backupId);
  await execOk(s.transport, cmd.isFile(path)).catch(() => {
    throw new Error(`backup ${backupId} of ${service} is not on ${s.transport.host} any more (${path})`);
  });
  const r = await s.transport.exec(cmd.restoreFrom(path, container, argv), { signal: s.signal });
  for (const line of `${r.stdout}\n${r.stderr}`.split('\n').filter(Boolean).slice(-20))
    s.log(`[restore ${service}] ${line}`, r.exitCode === 0 ? 'stdout' : 'stderr');
  if (r.exitCode !== 0)
    throw new Error(
      `restore of ${service} from ${backupId} failed: ${argv[0]} exited with code ${r.exitCode}`,
    );
  s.log(`restored ${service} from backup ${backupId}`);
}
