import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { BUSY_TIMEOUT_MS, openDatabase, transaction } from './database.ts';
import { opt, type Row } from './rows.ts';

/**
 * What became of a delivery. `processing` is claimed: its runs are being queued. A process that dies there
 * leaves it `processing`, and the next start marks it failed rather than risk queueing its runs twice.
 */
export type DeliveryStatus = 'pending' | 'processing' | 'processed' | 'ignored' | 'failed';

/** A webhook delivery as received: kept so a replay is recognised and unfinished work survives a restart. */
export interface DeliveryRecord {
  /** `<forge>:<delivery id>`: ids are unique per forge only. */
  id: string;
  forge: string;
  event: string;
  payload: string;
  receivedAt: number;
  status: DeliveryStatus;
  /** Why it was ignored or failed, or which runs it queued. */
  outcome?: string;
  /** A push's `<forge>:<repository>:<ref>:<after>` (see pushKey): one delivery per pushed ref state. */
  pushKey?: string;
}

/** What makes two push deliveries the same push whatever their delivery ids: forge, repository, ref, new head. */
export function pushKey(p: { forge: string; repository: string; ref: string; after: string }): string {
  return `${p.forge}:${p.repository.toLowerCase()}:${p.ref}:${p.after}`;
}

// Kept out of MIGRATIONS while the server is the table's only user; IF NOT EXISTS makes opening idempotent.
const SCHEMA = `
  CREATE TABLE IF NOT EXISTS deliveries (
    id TEXT PRIMARY KEY,
    forge TEXT NOT NULL,
    event TEXT NOT NULL,
    payload TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    status TEXT NOT NULL,
    outcome TEXT,
    finished_at INTEGER
  );
  CREATE INDEX IF NOT EXISTS deliveries_pending ON deliveries(status, received_at);
`;

// Added after the table shipped: the column and the index that makes a push key taken once, then the keys
// of pushes stored before (as pushKey computes them; of a replay among them, the first keeps it).
const PUSH_KEY = `
  ALTER TABLE deliveries ADD COLUMN push_key TEXT;
  CREATE UNIQUE INDEX deliveries_push_key ON deliveries(push_key);
  UPDATE OR IGNORE deliveries
     SET push_key = forge || ':' || lower(json_extract(payload, '$.repository.full_name')) || ':' ||
                    json_extract(payload, '$.ref') || ':' || json_extract(payload, '$.after')
   WHERE event = 'push' AND status != 'failed' AND json_valid(payload);
`;

/** Webhook and poll deliveries: deduplicated by id, processed at most once. */
export class Deliveries {
  readonly #db: DatabaseSync;
  /** Prepared once: every webhook request runs it. */
  readonly #insert: StatementSync;

  /**
   * Opens the deliveries of the store at `path` (its own connection: the server's intake writes here).
   * `busyTimeoutMs` bounds how long a write waits for another process's (the wait blocks the event loop);
   * past it, the write throws SQLITE_BUSY.
   */
  constructor(path: string, { busyTimeoutMs = BUSY_TIMEOUT_MS } = {}) {
    this.#db = openDatabase(path);
    transaction(this.#db, () => {
      this.#db.exec(SCHEMA);
      const columns = this.#db.prepare('PRAGMA table_info(deliveries)').all() as Row[];
      if (!columns.some((c) => c.name === 'push_key')) this.#db.exec(PUSH_KEY);
    });
    this.#db.exec(`PRAGMA busy_timeout = ${Math.trunc(busyTimeoutMs)}`);
    this.#insert = this.#db.prepare(
      `INSERT INTO deliveries (id, forge, event, payload, received_at, status, push_key)
         VALUES (?, ?, ?, ?, ?, 'pending', ?) ON CONFLICT DO NOTHING`,
    );
  }

  /**
   * Records a delivery as pending; false (and nothing changes) when its id was seen before, or when its
   * push key is already taken (a replay of a captured push under a fresh delivery id).
   */
  record(d: Omit<DeliveryRecord, 'status' | 'outcome'>): boolean {
    const { changes } = this.#insert.run(d.id, d.forge, d.event, d.payload, d.receivedAt, d.pushKey ?? null);
    return changes === 1;
  }

  /**
   * Records deliveries in one transaction (all or none); returns the ids that were new. Recording the same
   * ones again records nothing, which is what makes ingesting a spool twice harmless.
   */
  recordAll(ds: readonly Omit<DeliveryRecord, 'status' | 'outcome'>[]): string[] {
    return transaction(this.#db, () => ds.filter((d) => this.record(d)).map((d) => d.id));
  }

  /** The delivery that took `key`, if any. */
  takenBy(key: string): string | undefined {
    const row = this.#db.prepare('SELECT id FROM deliveries WHERE push_key = ?').get(key) as Row | undefined;
    return row?.id as string | undefined;
  }

  /** Deliveries not yet processed, oldest first. */
  pending(limit = 100): DeliveryRecord[] {
    return (
      this.#db
        .prepare(`SELECT * FROM deliveries WHERE status = 'pending' ORDER BY received_at, rowid LIMIT ?`)
        .all(limit) as Row[]
    ).map(toDelivery);
  }

  /** Claims a pending delivery for processing; false when it was not pending (another worker has it). */
  claim(id: string): boolean {
    const { changes } = this.#db
      .prepare(`UPDATE deliveries SET status = 'processing' WHERE id = ? AND status = 'pending'`)
      .run(id);
    return changes === 1;
  }

  /**
   * Records the outcome of a claimed delivery. A failed one gives its push key back: nothing was queued
   * for it, so the forge's redelivery (under a new id) must be able to take it.
   */
  finish(id: string, status: 'processed' | 'ignored' | 'failed', outcome: string, now = Date.now()): void {
    this.#db
      .prepare(
        `UPDATE deliveries SET status = ?, outcome = ?, finished_at = ?,
            push_key = CASE WHEN ? = 'failed' THEN NULL ELSE push_key END
          WHERE id = ? AND status = 'processing'`,
      )
      .run(status, outcome, now, status, id);
  }

  /** Fails deliveries a dead process left claimed; returns their ids. */
  failInterrupted(now = Date.now()): string[] {
    const rows = this.#db.prepare(`SELECT id FROM deliveries WHERE status = 'processing'`).all() as Row[];
    this.#db
      .prepare(
        `UPDATE deliveries SET status = 'failed', outcome = 'interrupted while queueing its runs: check the runs list and redeliver if none', finished_at = ? WHERE status = 'processing'`,
      )
      .run(now);
    return rows.map((r) => r.id as string);
  }

  close(): void {
    this.#db.close();
  }

  /** One delivery, or undefined. */
  get(id: string): DeliveryRecord | undefined {
    const row = this.#db.prepare('SELECT * FROM deliveries WHERE id = ?').get(id) as Row | undefined;
    return row && toDelivery(row);
  }
}

function toDelivery(r: Row): DeliveryRecord {
  return {
    id: r.id as string,
    forge: r.forge as string,
    event: r.event as string,
    payload: r.payload as string,
    receivedAt: r.received_at as number,
    status: r.status as DeliveryStatus,
    outcome: opt(r.outcome),
    pushKey: opt(r.push_key),
  };
}
