import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { MIGRATIONS } from './migrations.ts';

/** How long a writer waits for another process's write transaction before failing. */
const BUSY_TIMEOUT_MS = 10_000;

/** Opens (creating when missing) the SQLite store at `path` and brings its schema up to date. */
export function openDatabase(path: string): DatabaseSync {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new DatabaseSync(path, { timeout: BUSY_TIMEOUT_MS });
  // WAL lets the CLI, a runner and the server read while one of them writes.
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;');
  migrate(db);
  return db;
}

/** Runs `fn` in a write transaction taken up front (BEGIN IMMEDIATE), so concurrent writers queue instead of deadlocking. */
export function transaction<T>(db: DatabaseSync, fn: () => T): T {
  if (db.isTransaction) return fn();
  db.exec('BEGIN IMMEDIATE');
  try {
    const result = fn();
    db.exec('COMMIT');
    return result;
  } catch (err) {
    db.exec('ROLLBACK');
    throw err;
  }
}

function migrate(db: DatabaseSync): void {
  transaction(db, () => {
    // Read inside the transaction: another process may have migrated while we waited for the lock.
    const { user_version: current } = db.prepare('PRAGMA user_version').get() as { user_version: number };
    if (current > MIGRATIONS.length) {
      throw new Error(
        `the state store has schema version ${current}, newer than this Slipway knows (${MIGRATIONS.length})`,
      );
    }
    for (let v = current; v < MIGRATIONS.length; v++) db.exec(MIGRATIONS[v]!);
    db.exec(`PRAGMA user_version = ${MIGRATIONS.length}`);
  });
}
