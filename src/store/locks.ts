import type { DatabaseSync } from 'node:sqlite';
import { transaction } from './database.ts';
import type { EventLog } from './events.ts';
import type { Row } from './rows.ts';
import type { LockEntry } from './types.ts';

/**
 * Environment locks as FIFO queues: the oldest entry of an environment holds its lock. A run enqueues on all
 * its environments in one transaction, so every queue orders runs the same way and two runs cannot deadlock.
 */
export class Locks {
  readonly #db: DatabaseSync;
  readonly #events: EventLog;

  constructor(db: DatabaseSync, events: EventLog) {
    this.#db = db;
    this.#events = events;
  }

  /** Puts a run at the back of each environment's queue (no-op where it already is). */
  enqueue(runId: number, environments: readonly string[], now = Date.now()): void {
    transaction(this.#db, () => {
      const insert = this.#db.prepare(
        'INSERT INTO locks (environment, run_id, requested_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
      );
      for (const env of [...new Set(environments)].sort()) insert.run(env, runId, now);
    });
  }

  /** True when the run is at the head of the environment's queue, i.e. holds its lock. */
  holds(runId: number, environment: string): boolean {
    const head = this.queue(environment)[0];
    return head?.runId === runId;
  }

  /** An environment's queue, holder first. */
  queue(environment: string): LockEntry[] {
    const rows = this.#db
      .prepare('SELECT * FROM locks WHERE environment = ? ORDER BY seq')
      .all(environment) as Row[];
    return rows.map(toEntry);
  }

  /** Every queue entry of every environment, by environment then position. */
  all(): LockEntry[] {
    return (this.#db.prepare('SELECT * FROM locks ORDER BY environment, seq').all() as Row[]).map(toEntry);
  }

  /** Removes a run from one environment's queue (or all of them); records an event per lock given up. */
  release(runId: number, environment?: string, reason = 'released'): void {
    transaction(this.#db, () => {
      const rows = (
        environment === undefined
          ? this.#db.prepare('SELECT * FROM locks WHERE run_id = ?').all(runId)
          : this.#db
              .prepare('SELECT * FROM locks WHERE run_id = ? AND environment = ?')
              .all(runId, environment)
      ) as Row[];
      for (const r of rows) {
        this.#db.prepare('DELETE FROM locks WHERE seq = ?').run(r.seq as number);
        this.#events.append([
          { runId, kind: 'lock', text: `${r.environment}: ${reason}`, status: 'released' },
        ]);
      }
    });
  }
}

function toEntry(r: Row): LockEntry {
  return {
    seq: r.seq as number,
    environment: r.environment as string,
    runId: r.run_id as number,
    requestedAt: r.requested_at as number,
  };
}
