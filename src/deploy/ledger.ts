import type { BackupRecord, RecordedConfig, ReleaseRecord as RecordedRelease } from '../store/types.ts';
import type { BackupTaken } from './backups.ts';
import type { ReleaseRecord } from './release.ts';

/** Where a backup was taken: the host, app, environment, and the release attempt it preceded. */
export interface BackupPlace {
  environment: string;
  host: string;
  app: string;
  releaseId?: string;
}

/**
 * Where a deploy records its releases and backups and finds the release a rollback restores and the backup a
 * restore reads. The engine backs it with the store's ledger for the run (steps never open the store); tests
 * and benches with their own.
 */
export interface ReleaseLedger {
  /** Records a release that went live, with the configuration a rollback to it would restore. */
  record(r: ReleaseRecord, config: RecordedConfig): void;
  /** A recorded release by its ledger id. */
  recorded(id: number): RecordedRelease | undefined;
  /** The id of the release recorded last for an app on a host of an environment, if any. */
  lastRecorded(q: { environment: string; host: string; app: string }): string | undefined;
  /** Records a backup as soon as it is on the host. */
  recordBackup(b: BackupTaken & BackupPlace): void;
  /** Records that backups of a service were pruned from a host. */
  backupsRemoved(
    where: Omit<BackupPlace, 'releaseId'> & { service: string },
    backupIds: readonly string[],
  ): void;
  /** A recorded backup by its ledger id. */
  backup(id: number): BackupRecord | undefined;
}
