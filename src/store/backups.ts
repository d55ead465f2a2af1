import type { DatabaseSync } from 'node:sqlite';
import { opt, type Row } from './rows.ts';
import type { BackupRecord } from './types.ts';

/** Backups of stateful services taken on hosts, newest last: what `slipway backups` lists and `restore` reads. */
export class Backups {
  readonly #db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  /** Records a backup taken on a host; returns its ledger id. */
  record(b: Omit<BackupRecord, 'id' | 'createdAt' | 'removedAt'> & { createdAt?: number }): number {
    const { lastInsertRowid } = this.#db
      .prepare(
        `INSERT INTO backups (environment, host, app, service, backup_id, path, bytes, duration_ms, reason, release_id,
             run_id, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        b.environment,
        b.host,
        b.app,
        b.service,
        b.backupId,
        b.path,
        b.bytes,
        b.durationMs,
        b.reason,
        b.releaseId ?? null,
        b.runId ?? null,
        b.createdAt ?? Date.now(),
      );
    return Number(lastInsertRowid);
  }

  /** Marks backups of a service on a host as pruned from it. */
  removed(
    where: { environment: string; host: string; app: string; service: string },
    backupIds: readonly string[],
    at = Date.now(),
  ): void {
    const mark = this.#db.prepare(
      `UPDATE backups SET removed_at = ? WHERE environment = ? AND host = ? AND app = ? AND service = ?
         AND backup_id = ? AND removed_at IS NULL`,
    );
    for (const id of backupIds) mark.run(at, where.environment, where.host, where.app, where.service, id);
  }

  /** Backups of an app in an environment, newest first (pruned ones too, with `removedAt`). */
  list(environment: string, app: string, limit = 100): BackupRecord[] {
    const rows = this.#db
      .prepare('SELECT * FROM backups WHERE environment = ? AND app = ? ORDER BY id DESC LIMIT ?')
      .all(environment, app, limit) as Row[];
    return rows.map(toBackup);
  }

  /** One backup by its ledger id. */
  get(id: number): BackupRecord | undefined {
    const row = this.#db.prepare('SELECT * FROM backups WHERE id = ?').get(id) as Row | undefined;
    return row && toBackup(row);
  }
}

function toBackup(r: Row): BackupRecord {
  return {
    id: r.id as number,
    environment: r.environment as string,
    host: r.host as string,
    app: r.app as string,
    service: r.service as string,
    backupId: r.backup_id as string,
    path: r.path as string,
    bytes: r.bytes as number,
    durationMs: r.duration_ms as number,
    reason: r.reason as string,
    releaseId: opt(r.release_id),
    runId: opt(r.run_id),
    createdAt: r.created_at as number,
    removedAt: opt(r.removed_at),
  };
}
