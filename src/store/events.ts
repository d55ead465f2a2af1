import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { transaction } from './database.ts';
import { opt, type Row } from './rows.ts';
import type { NewEvent, RunEvent } from './types.ts';

/** The event log of runs: log lines and status changes, appended and read by cursor. */
export class EventLog {
  readonly #db: DatabaseSync;
  readonly #insert: StatementSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
    this.#insert = db.prepare(
      'INSERT INTO events (run_id, ts, kind, job, step, host, stream, status, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
  }

  /** Appends events in one transaction (batching keeps log ingestion fast). */
  append(events: readonly NewEvent[]): void {
    if (events.length === 0) return;
    transaction(this.#db, () => {
      for (const e of events) {
        this.#insert.run(
          e.runId,
          e.ts ?? Date.now(),
          e.kind,
          e.job ?? null,
          e.step ?? null,
          e.host ?? null,
          e.stream ?? null,
          e.status ?? null,
          e.text ?? null,
        );
      }
    });
  }

  /** Events of a run with id greater than `afterId`, oldest first; pass the last id back to follow live. */
  after(runId: number, afterId = 0, limit = 1000, kinds?: readonly RunEvent['kind'][]): RunEvent[] {
    const kindFilter = kinds ? `AND kind IN (${kinds.map(() => '?').join(',')})` : '';
    const rows = this.#db
      .prepare(`SELECT * FROM events WHERE run_id = ? AND id > ? ${kindFilter} ORDER BY id LIMIT ?`)
      .all(runId, afterId, ...(kinds ?? []), limit) as Row[];
    return rows.map(toEvent);
  }

  /** Events of every run with id greater than `afterId`, oldest first (a reader of all runs, e.g. the notifier). */
  since(afterId: number, limit: number, kinds: readonly RunEvent['kind'][]): RunEvent[] {
    const rows = this.#db
      .prepare(
        `SELECT * FROM events WHERE id > ? AND kind IN (${kinds.map(() => '?').join(',')}) ORDER BY id LIMIT ?`,
      )
      .all(afterId, ...kinds, limit) as Row[];
    return rows.map(toEvent);
  }

  /** The highest event id of all runs: a cheap "anything new?" probe for pollers. */
  lastId(): number {
    const row = this.#db.prepare('SELECT MAX(id) AS id FROM events').get() as Row;
    return (row.id as number | null) ?? 0;
  }
}

function toEvent(r: Row): RunEvent {
  return {
    id: r.id as number,
    runId: r.run_id as number,
    ts: r.ts as number,
    kind: r.kind as RunEvent['kind'],
    job: opt(r.job),
    step: opt(r.step),
    host: opt(r.host),
    stream: opt(r.stream),
    status: opt(r.status),
    text: opt(r.text),
  };
}
