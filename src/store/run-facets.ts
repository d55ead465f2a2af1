import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { Row } from './rows.ts';

/** Summaries across all runs for the dashboard's filters, each one query instead of a scan in JavaScript. */
export class RunFacets {
  readonly #pipelines: StatementSync;

  constructor(db: DatabaseSync) {
    this.#pipelines = db.prepare('SELECT DISTINCT pipeline FROM runs ORDER BY pipeline');
  }

  /** Names of every pipeline that has runs, sorted. */
  pipelines(): string[] {
    return (this.#pipelines.all() as Row[]).map((r) => r.pipeline as string);
  }
}
