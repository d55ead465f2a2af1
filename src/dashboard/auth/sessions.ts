import { parseCookies, serializeCookie } from './cookies.ts';
import { generateToken, hashToken } from './tokens.ts';

/** Name of the session cookie. */
export const SESSION_COOKIE = 'slipway_session';

/** How long a session lasts after sign-in. */
export const SESSION_TTL_MS = 12 * 3_600_000;

/** A signed-in user's session as the store keeps it (the id itself is only stored hashed). */
export interface SessionRecord {
  login: string;
  /** Synchronizer token every POST of this session must carry. */
  csrf: string;
  expiresAt: number;
}

/** Where sessions live; implemented by the store (src/store/users.ts). */
export interface SessionStore {
  createSession(idHash: string, session: SessionRecord): void;
  getSession(idHash: string): SessionRecord | undefined;
  deleteSession(idHash: string): void;
}

/** A session just started: the cookie to set and the CSRF token for its forms. */
export interface StartedSession {
  setCookie: string;
  session: SessionRecord;
}

/** Starts a session for `login`; the store keeps only the hash of the id, so a copied database opens no session. */
export function startSession(
  store: SessionStore,
  login: string,
  opts: { secure: boolean; now?: number; ttlMs?: number },
): StartedSession {
  const ttl = opts.ttlMs ?? SESSION_TTL_MS;
  const id = generateToken('');
  const session: SessionRecord = {
    login,
    csrf: generateToken(''),
    expiresAt: (opts.now ?? Date.now()) + ttl,
  };
  store.createSession(hashToken(id), session);
  return {
    session,
    setCookie: serializeCookie(SESSION_COOKIE, id, { secure: opts.secure, maxAge: Math.floor(ttl / 1000) }),
  };
}

/** The live session named by a request's cookies, or undefined (no cookie, unknown id, or expired). */
export function readSession(
  store: SessionStore,
  cookieHeader: string | undefined,
  now = Date.now(),
): SessionRecord | undefined {
  const id = parseCookies(cookieHeader).get(SESSION_COOKIE);
  if (!id) return undefined;
  const idHash = hashToken(id);
  const session = store.getSession(idHash);
  if (!session) return undefined;
  if (session.expiresAt <= now) {
    store.deleteSession(idHash);
    return undefined;
  }
  return session;
}

/** Ends the session named by the cookies (if any) and returns the Set-Cookie value that clears it. */
export function endSession(store: SessionStore, cookieHeader: string | undefined, secure: boolean): string {
  const id = parseCookies(cookieHeader).get(SESSION_COOKIE);
  if (id) store.deleteSession(hashToken(id));
  return serializeCookie(SESSION_COOKIE, '', { secure, maxAge: 0 });
}
