/**
 * The Bearer token flow of OCI registries (Docker's token auth, as GHCR, Gitea, Harbor and Docker Hub
 * answer): read the `WWW-Authenticate: Bearer realm=...,service=...,scope=...` challenge of a 401, ask
 * the realm for a token with the basic credentials, retry with `Authorization: Bearer <token>`.
 */
import { type Dispatcher, request } from 'undici';
import { errorMessage } from '../util/errors.ts';

/** One authentication challenge: its scheme (lower case) and its parameters (names lower case). */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

// auth-param = token "=" ( token / quoted-string ), RFC 7235 §2.1; quoted-pair unescaped below.
const PARAM = /\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]*))\s*(?:,|$)/y;

/** The challenge of a `WWW-Authenticate` header, or undefined when it is not `scheme param=value, ...`. */
export function parseChallenge(header: string): Challenge | undefined {
  const m = /^\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)(?:\s+|$)/.exec(header);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  PARAM.lastIndex = m[0].length;
  while (PARAM.lastIndex < header.length) {
    const p = PARAM.exec(header);
    if (!p) return undefined;
    params[p[1]!.toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3]!;
  }
  return { scheme: m[1]!.toLowerCase(), params };
}

/**
 * The token request URL of a Bearer challenge: its realm with `service` and one `scope` parameter per
 * space-separated scope. Throws when the realm is no http(s) URL, or is plain http while the registry
 * was reached over https (the credentials would then cross the network in clear).
 */
export function tokenUrl(challenge: Challenge, registryScheme: 'http' | 'https'): URL {
  const { realm, service, scope } = challenge.params;
  if (!realm) throw new Error('expected a realm in the Bearer challenge, got none');
  let url: URL;
  try {
    url = new URL(realm);
  } catch {
    throw new Error(`expected an http(s) URL as the Bearer realm, got ${JSON.stringify(realm)}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new Error(`expected an http(s) URL as the Bearer realm, got ${JSON.stringify(realm)}`);
  }
  if (url.protocol === 'http:' && registryScheme === 'https') {
    throw new Error(`refusing to send credentials to the plain-http realm ${realm} of an https registry`);
  }
  if (service) url.searchParams.set('service', service);
  for (const s of (scope ?? '').split(' ').filter(Boolean)) url.searchParams.append('scope', s);
  return url;
}

/** The realm refused to issue a token (wrong credentials, or no access to the scope). */
export class TokenRefusedError extends Error {
  override name = 'TokenRefusedError';
  readonly status: number;
  readonly url: URL;
  constructor(status: number, url: URL) {
    super(`token endpoint ${url.origin}${url.pathname} answered ${status}`);
    this.status = status;
    this.url = url;
  }
}

/** How to authenticate to a registry. */
export interface AuthOptions {
  /** Scheme the registry is reached with: an https registry's realm must be https too. */
  registryScheme: 'http' | 'https';
  /** `Basic ...` header value, or undefined to ask anonymously. */
  basic?: string;
  dispatcher?: Dispatcher;
  signal?: AbortSignal;
}

/** Asks the challenge's realm for a token (`token` or `access_token` of its JSON answer). */
export async function fetchBearerToken(challenge: Challenge, opts: AuthOptions): Promise<string> {
  const url = tokenUrl(challenge, opts.registryScheme);
  let res: Dispatcher.ResponseData;
  try {
    res = await request(url, {
      headers: opts.basic ? { authorization: opts.basic } : {},
      signal: opts.signal,
      ...(opts.dispatcher ? { dispatcher: opts.dispatcher } : {}),
      headersTimeout: 15_000,
      bodyTimeout: 15_000,
    });
  } catch (err) {
    throw new Error(`token endpoint ${url.origin}${url.pathname} is unreachable: ${errorMessage(err)}`);
  }
  const body = parseJson(await readCapped(res.body, url)) as { token?: unknown; access_token?: unknown };
  const token = body.token ?? body.access_token;
  if (res.statusCode !== 200 || typeof token !== 'string' || token === '') {
    throw new TokenRefusedError(res.statusCode, url);
  }
  return token;
}

/** Most a token answer may weigh: real ones are a few KB, a hostile realm must not fill the runner's memory. */
export const MAX_TOKEN_ANSWER = 1024 * 1024;

// The body of the realm's answer, refused once it passes MAX_TOKEN_ANSWER.
async function readCapped(body: Dispatcher.ResponseData['body'], url: URL): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > MAX_TOKEN_ANSWER) {
      body.destroy();
      throw new Error(`expected a token answer under 1 MiB from ${url.origin}${url.pathname}, got more`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string): Record<string, unknown> {
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** A response, and the token that got it when the registry asked for one. */
export interface Authorized {
  res: Dispatcher.ResponseData;
  bearer: string | undefined;
}

/**
 * Sends with `bearer` (a token from an earlier challenge) or else the basic credentials; when the
 * registry answers 401 with a Bearer challenge, fetches a token for it and sends once more.
 */
export async function sendAuthorized(
  send: (authorization: string | undefined) => Promise<Dispatcher.ResponseData>,
  opts: AuthOptions & { bearer?: string },
): Promise<Authorized> {
  const res = await send(opts.bearer ? `Bearer ${opts.bearer}` : opts.basic);
  if (res.statusCode !== 401) return { res, bearer: opts.bearer };
  const challenge = parseChallenge(String(res.headers['www-authenticate'] ?? ''));
  if (challenge?.scheme !== 'bearer') return { res, bearer: opts.bearer };
  await res.body.dump();
  const bearer = await fetchBearerToken(challenge, opts);
  return { res: await send(`Bearer ${bearer}`), bearer };
}

/** `Basic <base64(user:password)>`. */
export function basicAuthorization(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}
