import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { MIGRATIONS } from './migrations.ts';

/** How long a writer waits for another process's write transaction before failing. */
export const BUSY_TIMEOUT_MS = 10_000;

/** Opens (creating when missing) the SQLite store at `path` and brings its schema up to date. */
export function openDatabase(path: string): DatabaseSync {
  if (path !== ':memory:') restrictModes(path);
  const db = new DatabaseSync(path, { timeout: BUSY_TIMEOUT_MS });
  // WAL lets the CLI, a runner and the server read while one of them writes.
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;');
  migrate(db);
  return db;
}

/** The directory Slipway keeps its state in by default; always its own, so its mode is ours to set. */
const STATE_DIR_NAME = '.slipway';

/**
 * Makes the store readable by its owner only, before SQLite opens it: the file and its WAL and SHM twins
 * 0600 (SQLite gives new WAL/SHM files the database file's mode), existing ones included, in a 0700
 * directory. A directory Slipway did not create and that is not a `.slipway` directory (SLIPWAY_STATE may
 * name a shared one, such as /tmp) keeps the mode its owner gave it.
 */
function restrictModes(path: string): void {
  const dir = dirname(path);
  const created = mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (created !== undefined || basename(dir) === STATE_DIR_NAME) chmodSync(dir, 0o700);
  closeSync(openSync(path, 'a', 0o600));
  for (const file of [path, `${path}-wal`, `${path}-shm`]) if (existsSync(file)) chmodSync(file, 0o600);
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
