import { parseCookies, serializeCookie } from './cookies.ts';
import { generateToken, secretsEqual } from './tokens.ts';

/** Cookie carrying the double-submit token of the sign-in form, the one POST made before a session exists. */
export const SIGNIN_CSRF_COOKIE = 'slipway_signin';

/** Name of the hidden form field that carries the CSRF token. */
export const CSRF_FIELD = '_csrf';

/**
 * Whether a state-changing request comes from our own pages: its Origin (or, lacking one, its Referer's
 * origin) must be one `allowed` accepts. A request with neither is refused: every browser sends Origin on a POST.
 */
export function sameOrigin(
  headers: { origin?: string; referer?: string },
  allowed: (origin: string) => boolean,
): boolean {
  if (headers.origin) return allowed(headers.origin);
  if (!headers.referer) return false;
  try {
    return allowed(new URL(headers.referer).origin);
  } catch {
    return false;
  }
}

/** Whether a submitted token matches the session's synchronizer token. */
export function csrfTokenValid(expected: string, submitted: string | undefined): boolean {
  return typeof submitted === 'string' && submitted.length > 0 && secretsEqual(expected, submitted);
}

/**
 * The double-submit token for the sign-in form and the cookie that carries its twin. A token the browser
 * already holds is kept, so a second tab (or a stray request) does not invalidate the form of the first.
 */
export function issueSigninCsrf(
  secure: boolean,
  cookieHeader?: string,
): { token: string; setCookie: string } {
  const held = parseCookies(cookieHeader).get(SIGNIN_CSRF_COOKIE);
  const token = held && /^[A-Za-z0-9_-]{43}$/.test(held) ? held : generateToken('');
  return { token, setCookie: serializeCookie(SIGNIN_CSRF_COOKIE, token, { secure, maxAge: 600 }) };
}

/** Whether the sign-in form's token matches its cookie twin. */
export function signinCsrfValid(cookieHeader: string | undefined, submitted: string | undefined): boolean {
  const expected = parseCookies(cookieHeader).get(SIGNIN_CSRF_COOKIE);
  return expected !== undefined && csrfTokenValid(expected, submitted);
}
