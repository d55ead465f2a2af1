import type { DatabaseSync } from 'node:sqlite';
import { opt, type Row } from './rows.ts';
import type { RecordedConfig, ReleaseRecord } from './types.ts';

/** Every release of an app on a host, newest last: the history `rollback` walks back. */
export class Releases {
  readonly #db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  /** Records a release; returns its id. */
  record(r: Omit<ReleaseRecord, 'id' | 'createdAt'> & { createdAt?: number }): number {
    const { lastInsertRowid } = this.#db
      .prepare(
        `INSERT INTO releases (environment, host, app, release_id, digest, config_hash, run_id, approver, created_at,
             sha, compose_file, compose, env, secret_names, restores)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        r.environment,
        r.host,
        r.app,
        r.releaseId,
        r.digest,
        r.configHash,
        r.runId ?? null,
        r.approver ?? null,
        r.createdAt ?? Date.now(),
        r.sha ?? null,
        r.config?.composeFile ?? null,
        r.config?.compose ?? null,
        r.config ? JSON.stringify(r.config.env) : null,
        r.config ? JSON.stringify(r.config.secrets) : null,
        r.restores ?? null,
      );
    return Number(lastInsertRowid);
  }

  /** Releases of an environment, newest first, optionally of one app and/or host. */
  list(environment: string, filter: { app?: string; host?: string; limit?: number } = {}): ReleaseRecord[] {
    const rows = this.#db
      .prepare(
        `SELECT * FROM releases WHERE environment = ? AND (? IS NULL OR app = ?) AND (? IS NULL OR host = ?)
           ORDER BY id DESC LIMIT ?`,
      )
      .all(
        environment,
        filter.app ?? null,
        filter.app ?? null,
        filter.host ?? null,
        filter.host ?? null,
        filter.limit ?? 100,
      ) as Row[];
    return rows.map(toRelease);
  }

  /** One release by its ledger id, with its recorded configuration. */
  get(id: number): ReleaseRecord | undefined {
    const row = this.#db.prepare('SELECT * FROM releases WHERE id = ?').get(id) as Row | undefined;
    return row && toRelease(row);
  }
}

function toRelease(r: Row): ReleaseRecord {
  const config: RecordedConfig | undefined =
    typeof r.compose === 'string'
      ? {
          composeFile: r.compose_file as string,
          compose: r.compose,
          env: JSON.parse(r.env as string) as Record<string, string>,
          secrets: JSON.parse(r.secret_names as string) as Record<string, string>,
        }
      : undefined;
  return {
    id: r.id as number,
    environment: r.environment as string,
    host: r.host as string,
    app: r.app as string,
    releaseId: r.release_id as string,
    digest: r.digest as string,
    configHash: r.config_hash as string,
    runId: opt(r.run_id),
    approver: opt(r.approver),
    createdAt: r.created_at as number,
    sha: opt(r.sha),
    config,
    restores: opt(r.restores),
  };
}
