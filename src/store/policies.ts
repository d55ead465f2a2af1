import type { DatabaseSync } from 'node:sqlite';
import { opt, type Row } from './rows.ts';

/** A default-branch commit whose policy was put in force, and how. */
export interface PolicyRecord {
  id: number;
  sha: string;
  /** The ref it was read from (`refs/heads/main`). */
  ref: string;
  /** Why it is in force: first use, no weakening, or the policy-change run whose gate approved it. */
  how: string;
  runId?: number;
  at: number;
}

/** The policies in force, newest last; append-only (SQLite triggers refuse updates and deletes). */
export class Policies {
  readonly #db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  /** The policy commit in force: the last one ratified, or undefined before the first use. */
  inForce(): PolicyRecord | undefined {
    const row = this.#db.prepare('SELECT * FROM policies ORDER BY id DESC LIMIT 1').get() as Row | undefined;
    return row && toPolicy(row);
  }

  /** Puts a policy commit in force. */
  ratify(r: Omit<PolicyRecord, 'id' | 'at'> & { at?: number }): void {
    this.#db
      .prepare('INSERT INTO policies (sha, ref, how, run_id, at) VALUES (?, ?, ?, ?, ?)')
      .run(r.sha, r.ref, r.how, r.runId ?? null, r.at ?? Date.now());
  }

  /** Every ratification, oldest first. */
  history(): PolicyRecord[] {
    return (this.#db.prepare('SELECT * FROM policies ORDER BY id').all() as Row[]).map(toPolicy);
  }
}

function toPolicy(r: Row): PolicyRecord {
  return {
    id: r.id as number,
    sha: r.sha as string,
    ref: r.ref as string,
    how: r.how as string,
    runId: opt(r.run_id),
    at: r.at as number,
  };
}
