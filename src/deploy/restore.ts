import type { Transport } from '../remote/transport.ts';
import { type BackupSite, type BackupTaken, restoreBackup, takeBackup } from './backups.ts';
import { openHostDocker } from './host-docker.ts';
import { APPS_ROOT } from './layout.ts';
import { statefulProject } from './stable-names.ts';

/** A backup to restore on the host it was taken on, with the service's commands. */
export interface HostRestore {
  transport: Transport;
  dockerSocket?: string;
  app: string;
  environment: string;
  root?: string;
  service: string;
  backupId: string;
  /** The service's restore command (gets the backup on stdin). */
  restore: readonly string[];
  /** The service's backup command: what is there now is kept first. */
  backup?: readonly string[];
  onBackup(b: BackupTaken): void;
  log(line: string, stream?: 'stdout' | 'stderr'): void;
  signal: AbortSignal;
  now?: () => Date;
}

/**
 * Restores a backup into the running stateful service: first a backup of its data as it is now (so a
 * restore can be taken back the same way), then the backup fed to the restore command in its container.
 */
export async function restoreOnHost(r: HostRestore): Promise<void> {
  const engine = await openHostDocker(r.transport, r.dockerSocket);
  try {
    const site: BackupSite = {
      transport: r.transport,
      docker: engine.api,
      app: r.app,
      root: r.root ?? APPS_ROOT,
      project: statefulProject(r.app, r.environment),
      log: r.log,
      signal: r.signal,
      now: r.now ?? (() => new Date()),
    };
    const before = r.backup
      ? await takeBackup(site, r.service, r.backup, `before restoring ${r.backupId}`)
      : undefined;
    if (before) r.onBackup(before);
    try {
      await restoreBackup(site, r.service, r.backupId, r.restore);
    } catch (err) {
      const back = before ? `; the data as it was is in backup ${before.backupId}` : '';
      throw new Error(`${(err as Error).message}${back}`, { cause: err });
    }
  } finally {
    await engine.close();
  }
}
