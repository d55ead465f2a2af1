/**
 * The sandbox's token service for a registry in `auth: token` mode, as GHCR and Gitea run one: it
 * checks the basic credentials of a token request and answers a short-lived JWT (ES256) whose header
 * carries the signing certificate (x5c) the registry trusts through its `rootcertbundle`, with an
 * access claim for each requested scope.
 */
import {
  createHash,
  createPrivateKey,
  type KeyObject,
  randomBytes,
  sign,
  timingSafeEqual,
  X509Certificate,
} from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';

/** Lifetime of an issued token: docker asks again when it expires (its floor is 60 s). */
export const TOKEN_TTL_SECONDS = 300;

/** What `token-service-main.ts` reads from its config file. */
export interface TokenServiceConfig {
  host: string;
  port: number;
  /** TLS certificate and key the service answers with (the registry's own: same address, same CA). */
  tlsCert: string;
  tlsKey: string;
  /** Key that signs the tokens and its certificate (the registry's rootcertbundle). */
  signingKey: string;
  signingCert: string;
  /** `iss` and `aud` of the tokens: the registry's `issuer` and `service`. */
  issuer: string;
  service: string;
  /** JSON file with the one login: `{ "username", "password" }`. */
  credentials: string;
}

/** One access claim: what the token allows on one resource. */
export interface Access {
  type: string;
  name: string;
  actions: string[];
}

/** Actions the sandbox's one user is granted, per resource type; anything else is left out of the token. */
const GRANTABLE: Record<string, readonly string[]> = {
  repository: ['pull', 'push', 'delete'],
  registry: ['*'],
};

/** The access granted for `scope` (`type:name:action,action`), or undefined when nothing of it is granted. */
export function grantScope(scope: string): Access | undefined {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first <= 0 || last === first) return undefined;
  const type = scope.slice(0, first);
  const actions = scope
    .slice(last + 1)
    .split(',')
    .filter((a) => GRANTABLE[type]?.includes(a));
  return actions.length > 0 ? { type, name: scope.slice(first + 1, last), actions } : undefined;
}

const b64url = (data: string | Buffer) => Buffer.from(data).toString('base64url');

/** A signed ES256 JWT for `subject` with `access`, valid from now for TOKEN_TTL_SECONDS. */
export function issueToken(
  claims: { issuer: string; service: string; subject: string; access: Access[] },
  key: KeyObject,
  cert: X509Certificate,
  now = Math.floor(Date.now() / 1000),
): string {
  const header = { typ: 'JWT', alg: 'ES256', x5c: [cert.raw.toString('base64')] };
  const payload = {
    iss: claims.issuer,
    sub: claims.subject,
    aud: claims.service,
    iat: now,
    nbf: now - 10,
    exp: now + TOKEN_TTL_SECONDS,
    jti: randomBytes(16).toString('base64url'),
    access: claims.access,
  };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  const signature = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  return `${input}.${b64url(signature)}`;
}

/** The user name when `authorization` is `Basic` with exactly the login (compared in constant time). */
export function basicMatches(
  authorization: string | undefined,
  login: { username: string; password: string },
): string | undefined {
  const m = /^Basic ([A-Za-z0-9+/=]+)$/.exec(authorization ?? '');
  if (!m) return undefined;
  const given = Buffer.from(m[1]!, 'base64').toString('utf8');
  const digest = (s: string) => createHash('sha256').update(s).digest();
  const expected = `${login.username}:${login.password}`;
  return timingSafeEqual(digest(given), digest(expected)) ? login.username : undefined;
}

/** Answers one token request: 401 without the right login, else the token for the requested scopes. */
function answer(
  config: TokenServiceConfig,
  keys: { key: KeyObject; cert: X509Certificate },
  req: IncomingMessage,
  res: ServerResponse,
  log: (line: string) => void,
): void {
  const url = new URL(req.url ?? '/', 'https://token.invalid');
  if (
    req.method !== 'GET' ||
    url.pathname !== '/token' ||
    url.searchParams.get('service') !== config.service
  ) {
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"errors":[{"code":"NOT_FOUND"}]}');
    return;
  }
  const login = JSON.parse(readFileSync(config.credentials, 'utf8')) as {
    username: string;
    password: string;
  };
  const subject = basicMatches(req.headers.authorization, login);
  if (!subject) {
    log(`refused a token request (${req.headers.authorization ? 'wrong credentials' : 'no credentials'})`);
    res
      .writeHead(401, {
        'content-type': 'application/json',
        'www-authenticate': `Basic realm="${config.service}"`,
      })
      .end('{"errors":[{"code":"UNAUTHORIZED","message":"wrong username or password"}]}');
    return;
  }
  const access = url.searchParams.getAll('scope').flatMap((s) => grantScope(s) ?? []);
  const token = issueToken(
    { issuer: config.issuer, service: config.service, subject, access },
    keys.key,
    keys.cert,
  );
  log(`issued a token to ${subject} for [${url.searchParams.getAll('scope').join(' ')}]`);
  res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(
    JSON.stringify({
      token,
      access_token: token,
      expires_in: TOKEN_TTL_SECONDS,
      issued_at: new Date().toISOString(),
    }),
  );
}

/** Starts the token service over TLS and resolves once it listens. */
export async function startTokenService(
  config: TokenServiceConfig,
  log: (line: string) => void = () => {},
): Promise<Server> {
  const keys = {
    key: createPrivateKey(readFileSync(config.signingKey)),
    cert: new X509Certificate(readFileSync(config.signingCert)),
  };
  const server = createServer(
    { cert: readFileSync(config.tlsCert), key: readFileSync(config.tlsKey) },
    (req, res) => answer(config, keys, req, res, log),
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  return server;
}
