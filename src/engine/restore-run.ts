import { findDeployJob } from '../deploy/rollback-target.ts';
import { createJobRun, type JobRequester } from '../engine/create-run.ts';
import type { Store } from '../store/store.ts';
import type { BackupRecord } from '../store/types.ts';

/** Who asks for a restore, of which backup, at which checkout. */
export interface RestoreRequest extends JobRequester {
  env: string;
  app: string;
  /** A backup id (`20260101-120000-db`) or its ledger id, from `slipway backups ENV APP`. */
  backup: string;
}

/** The backup a restore names, among the app's backups in the environment that are still on their host. */
export function chooseBackup(
  backups: readonly BackupRecord[],
  env: string,
  app: string,
  wanted: string,
): BackupRecord {
  const kept = backups.filter((b) => b.removedAt === undefined);
  const found = /^\d+$/.test(wanted)
    ? kept.filter((b) => b.id === Number(wanted))
    : kept.filter((b) => b.backupId === wanted);
  if (found.length === 1) return found[0]!;
  if (found.length > 1)
    throw new Error(
      `backup ${wanted} of ${app} in ${env} was taken on ${found.map((b) => b.host).join(', ')}: name one by its number (slipway backups ${env} ${app})`,
    );
  const gone = backups.some((b) => b.backupId === wanted || String(b.id) === wanted);
  throw new Error(
    gone
      ? `backup ${wanted} of ${app} in ${env} was removed from its host (beyond its service's keep:): choose a newer one (slipway backups ${env} ${app})`
      : `no backup ${wanted} of ${app} in ${env} (see: slipway backups ${env} ${app})`,
  );
}

/**
 * Stores a queued restore run of the environment's deploy job alone: its deploy step feeds the backup to the
 * service's restore command on the backup's host, after a backup of what is there now. The job's gate applies,
 * and the approver sees the restore as the plan.
 */
export function createRestoreRun(store: Store, req: RestoreRequest): { runId: number; backup: BackupRecord } {
  const backup = chooseBackup(store.backups.list(req.env, req.app, 10_000), req.env, req.app, req.backup);
  const { pipeline, job } = findDeployJob(req.repo.pipelines, req.env, req.app);
  const runId = createJobRun(store, req, pipeline, job, { restoreBackup: backup.id });
  return { runId, backup };
}
