import type { DatabaseSync } from 'node:sqlite';
import type { Row } from './rows.ts';

/** Summaries across all runs for the dashboard's filters, each one query instead of a scan in JavaScript. */
export class RunFacets {
  readonly #db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  /** Names of every pipeline that has runs, sorted. */
  pipelines(): string[] {
    return (this.#db.prepare('SELECT DISTINCT pipeline FROM runs ORDER BY pipeline').all() as Row[]).map(
      (r) => r.pipeline as string,
    );
  }
}
