import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseCookies, serializeCookie } from '../../../src/dashboard/auth/cookies.ts';
import {
  csrfTokenValid,
  issueSigninCsrf,
  SIGNIN_CSRF_COOKIE,
  sameOrigin,
  signinCsrfValid,
} from '../../../src/dashboard/auth/csrf.ts';
import {
  endSession,
  readSession,
  SESSION_COOKIE,
  startSession,
} from '../../../src/dashboard/auth/sessions.ts';
import { generateToken, hashToken } from '../../../src/dashboard/auth/tokens.ts';
import { openDashboardStore } from '../../../src/store/dashboard-store.ts';

let dir: string;
let opened: ReturnType<typeof openDashboardStore>;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'slipway-dashboard-auth-'));
  opened = openDashboardStore(join(dir, 'state.db'));
  for (const login of ['alice', 'bob']) opened.users.add(login, hashToken(generateToken()));
});

afterEach(() => {
  opened.close();
  rmSync(dir, { recursive: true, force: true });
});

const cookieValue = (setCookie: string) => setCookie.split(';')[0]!.split('=')[1]!;

describe('tokens', () => {
  it('are 32 random bytes, prefixed, and stored as their SHA-256', () => {
    const t = generateToken();
    expect(t).toMatch(/^slw_[A-Za-z0-9_-]{43}$/);
    expect(generateToken()).not.toBe(t);
    expect(hashToken(t)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashToken(t)).toBe(hashToken(t));
  });
});

describe('session cookies', () => {
  it('are HttpOnly and SameSite=Strict, Secure only over TLS', () => {
    const store = opened.users;
    const plain = startSession(store, 'alice', { secure: false }).setCookie;
    expect(plain).toMatch(
      /^slipway_session=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=43200; HttpOnly; SameSite=Strict$/,
    );
    expect(startSession(store, 'alice', { secure: true }).setCookie).toMatch(
      /; HttpOnly; SameSite=Strict; Secure$/,
    );
  });

  it('keep only the hash of the id in the store, and resolve to the session until it expires', () => {
    const store = opened.users;
    const started = startSession(store, 'alice', { secure: false, now: 1000, ttlMs: 5000 });
    const id = cookieValue(started.setCookie);
    expect(store.getSession(hashToken(id))).toMatchObject({ login: 'alice' });
    expect(store.getSession(id)).toBeUndefined();
    const header = `other=1; ${SESSION_COOKIE}=${id}`;
    expect(readSession(store, header, 2000)).toMatchObject({ login: 'alice', csrf: started.session.csrf });
    expect(readSession(store, `${SESSION_COOKIE}=${generateToken('')}`, 2000)).toBeUndefined();
    expect(readSession(store, header, 6000)).toBeUndefined();
    expect(store.getSession(hashToken(id))).toBeUndefined();
  });

  it('end with a clearing cookie and the row gone', () => {
    const store = opened.users;
    const id = cookieValue(startSession(store, 'bob', { secure: false }).setCookie);
    const clear = endSession(store, `${SESSION_COOKIE}=${id}`, false);
    expect(clear).toContain('Max-Age=0');
    expect(store.getSession(hashToken(id))).toBeUndefined();
  });

  it('end when their user is removed', () => {
    const store = opened.users;
    const id = cookieValue(startSession(store, 'bob', { secure: false }).setCookie);
    store.remove('bob');
    expect(readSession(store, `${SESSION_COOKIE}=${id}`)).toBeUndefined();
  });

  it('parse cookie headers and refuse to serialize values that would need quoting', () => {
    expect(parseCookies('a=1; b="2"; a=3; junk')).toEqual(
      new Map([
        ['a', '1'],
        ['b', '2'],
      ]),
    );
    expect(() => serializeCookie('x', 'a;b', { secure: false, maxAge: 1 })).toThrow(/base64url/);
  });
});

describe('CSRF', () => {
  it('accepts only the session token', () => {
    expect(csrfTokenValid('abc', 'abc')).toBe(true);
    expect(csrfTokenValid('abc', 'abd')).toBe(false);
    expect(csrfTokenValid('abc', 'ab')).toBe(false);
    expect(csrfTokenValid('abc', '')).toBe(false);
    expect(csrfTokenValid('abc', undefined)).toBe(false);
  });

  it('checks Origin, falls back to Referer, refuses when neither is sent', () => {
    const me = (origin: string) => origin === 'http://127.0.0.1:8080';
    expect(sameOrigin({ origin: 'http://127.0.0.1:8080' }, me)).toBe(true);
    expect(sameOrigin({ origin: 'http://evil.example' }, me)).toBe(false);
    expect(sameOrigin({ origin: 'null' }, me)).toBe(false);
    expect(sameOrigin({ referer: 'http://127.0.0.1:8080/runs/1' }, me)).toBe(true);
    expect(sameOrigin({ referer: 'http://127.0.0.1:8081/' }, me)).toBe(false);
    expect(sameOrigin({ referer: 'not a url' }, me)).toBe(false);
    expect(sameOrigin({}, me)).toBe(false);
  });

  it('keeps a sign-in token the browser already holds, so a second tab does not void the first', () => {
    const first = issueSigninCsrf(false);
    const header = `${SIGNIN_CSRF_COOKIE}=${cookieValue(first.setCookie)}`;
    expect(issueSigninCsrf(false, header).token).toBe(first.token);
    expect(issueSigninCsrf(false, `${SIGNIN_CSRF_COOKIE}=short`).token).not.toBe('short');
  });

  it('double-submits the sign-in form token through its own cookie', () => {
    const { token, setCookie } = issueSigninCsrf(false);
    expect(setCookie).toContain('HttpOnly; SameSite=Strict');
    const header = `${SIGNIN_CSRF_COOKIE}=${cookieValue(setCookie)}`;
    expect(signinCsrfValid(header, token)).toBe(true);
    expect(signinCsrfValid(header, `${token}x`)).toBe(false);
    expect(signinCsrfValid(undefined, token)).toBe(false);
  });
});
