import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { Row } from './rows.ts';

/** A dashboard user; the token itself is never stored, only its SHA-256. */
export interface UserRecord {
  login: string;
  createdAt: number;
}

/** A dashboard session row; the session id is stored hashed, like tokens. */
export interface SessionRow {
  login: string;
  csrf: string;
  expiresAt: number;
}

/** Dashboard users, their token hashes and their sessions. */
export class Users {
  readonly #db: DatabaseSync;
  /** Prepared once: every dashboard request looks its session up. */
  readonly #session: StatementSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
    this.#session = db.prepare(
      'SELECT s.login, s.csrf, s.expires_at FROM sessions s JOIN users u ON u.login = s.login WHERE s.id_hash = ?',
    );
  }

  /** Adds a user with the hash of their token; throws when the login exists (unless `replace`, which also ends their sessions). */
  add(login: string, tokenHash: string, opts: { replace?: boolean; now?: number } = {}): void {
    const now = opts.now ?? Date.now();
    if (opts.replace) {
      this.#db.prepare('DELETE FROM sessions WHERE login = ?').run(login);
      this.#db
        .prepare(
          'INSERT INTO users (login, token_hash, created_at) VALUES (?, ?, ?) ON CONFLICT(login) DO UPDATE SET token_hash = excluded.token_hash',
        )
        .run(login, tokenHash, now);
      return;
    }
    if (this.get(login)) throw new Error(`user ${login} exists; pass --rotate to give them a new token`);
    this.#db
      .prepare('INSERT INTO users (login, token_hash, created_at) VALUES (?, ?, ?)')
      .run(login, tokenHash, now);
  }

  /** One user, or undefined. */
  get(login: string): UserRecord | undefined {
    const r = this.#db.prepare('SELECT login, created_at FROM users WHERE login = ?').get(login) as
      | Row
      | undefined;
    return r && { login: r.login as string, createdAt: r.created_at as number };
  }

  /** Every user, by login. */
  list(): UserRecord[] {
    return (this.#db.prepare('SELECT login, created_at FROM users ORDER BY login').all() as Row[]).map(
      (r) => ({
        login: r.login as string,
        createdAt: r.created_at as number,
      }),
    );
  }

  /** Removes a user and their sessions; false when there was no such user. */
  remove(login: string): boolean {
    this.#db.prepare('DELETE FROM sessions WHERE login = ?').run(login);
    return Number(this.#db.prepare('DELETE FROM users WHERE login = ?').run(login).changes) > 0;
  }

  /** The user whose token hashes to `tokenHash`. */
  userByTokenHash(tokenHash: string): { login: string } | undefined {
    const r = this.#db.prepare('SELECT login FROM users WHERE token_hash = ?').get(tokenHash) as
      | Row
      | undefined;
    return r && { login: r.login as string };
  }

  /** Stores a new session under the hash of its id. */
  createSession(idHash: string, s: SessionRow): void {
    // Expired sessions go whenever a new one starts, so the table stays the size of the live ones.
    this.#db.prepare('DELETE FROM sessions WHERE expires_at <= ?').run(Date.now());
    this.#db
      .prepare('INSERT INTO sessions (id_hash, login, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)')
      .run(idHash, s.login, s.csrf, Date.now(), s.expiresAt);
  }

  /** The session stored under `idHash`, if its user still exists. */
  getSession(idHash: string): SessionRow | undefined {
    const r = this.#session.get(idHash) as Row | undefined;
    return r && { login: r.login as string, csrf: r.csrf as string, expiresAt: r.expires_at as number };
  }

  /** Ends a session. */
  deleteSession(idHash: string): void {
    this.#db.prepare('DELETE FROM sessions WHERE id_hash = ?').run(idHash);
  }
}
