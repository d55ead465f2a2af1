import { describe, expect, it } from 'vitest';
import {
  csrfTokenValid,
  issueSigninCsrf,
  SIGNIN_CSRF_COOKIE,
  sameOrigin,
  signinCsrfValid,
} from '../../../../src/dashboard/auth/csrf.ts';

const cookieValue = (setCookie: string) => setCookie.split(';')[0]!.split('=')[1]!;

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
