import { createHash } from 'node:crypto';
import type { DatabaseSync } from 'node:sqlite';
import { opt, type Row } from './rows.ts';
import type { DriftCheckRecord } from './types.ts';

/** A drift check to record; the count and fingerprint are computed from its plan. */
export type NewDriftCheck = Omit<DriftCheckRecord, 'id' | 'changes' | 'fingerprint'>;

/** The changes of a plan, as one hash: drift found twice has one fingerprint. */
export function driftFingerprint(plan: DriftCheckRecord['plan']): string {
  const changes = plan.flatMap((j) => j.steps.flatMap((s) => s.changes.map((c) => [j.job, s.step, c])));
  return createHash('sha256').update(JSON.stringify(changes)).digest('hex');
}

/** Scheduled plans and what they found, per pipeline and environment (newest last). */
export class DriftChecks {
  readonly #db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  /** Records a check; returns it as stored. */
  record(c: NewDriftCheck): DriftCheckRecord {
    const changes = c.plan.reduce((n, j) => n + j.steps.reduce((m, s) => m + s.changes.length, 0), 0);
    const { lastInsertRowid } = this.#db
      .prepare(
        `INSERT INTO drift_checks (pipeline, environment, sha, branch, checked_at, status, changes, plan, fingerprint, reason)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        c.pipeline,
        c.environment,
        c.sha,
        c.branch,
        c.checkedAt,
        c.status,
        changes,
        JSON.stringify(c.plan),
        driftFingerprint(c.plan),
        c.reason ?? null,
      );
    return this.get(Number(lastInsertRowid))!;
  }

  get(id: number): DriftCheckRecord | undefined {
    const row = this.#db.prepare('SELECT * FROM drift_checks WHERE id = ?').get(id) as Row | undefined;
    return row && toCheck(row);
  }

  /** The newest check of each pipeline in `environment` (of every environment when undefined), newest first. */
  latest(environment?: string): DriftCheckRecord[] {
    const rows = this.#db
      .prepare(
        `SELECT * FROM drift_checks WHERE id IN (
           SELECT max(id) FROM drift_checks WHERE ? IS NULL OR environment = ? GROUP BY environment, pipeline
         ) ORDER BY id DESC`,
      )
      .all(environment ?? null, environment ?? null) as Row[];
    return rows.map(toCheck);
  }

  /** The check of the same pipeline and environment before `c`, if any. */
  previous(c: Pick<DriftCheckRecord, 'id' | 'pipeline' | 'environment'>): DriftCheckRecord | undefined {
    const row = this.#db
      .prepare(
        'SELECT * FROM drift_checks WHERE pipeline = ? AND environment = ? AND id < ? ORDER BY id DESC LIMIT 1',
      )
      .get(c.pipeline, c.environment, c.id) as Row | undefined;
    return row && toCheck(row);
  }
}

function toCheck(r: Row): DriftCheckRecord {
  return {
    id: r.id as number,
    pipeline: r.pipeline as string,
    environment: r.environment as string,
    sha: r.sha as string,
    branch: r.branch as string,
    checkedAt: r.checked_at as number,
    status: r.status as DriftCheckRecord['status'],
    changes: r.changes as number,
    plan: JSON.parse(r.plan as string) as DriftCheckRecord['plan'],
    fingerprint: r.fingerprint as string,
    reason: opt(r.reason),
  };
}
