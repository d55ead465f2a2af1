import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  basicAuthorization,
  fetchBearerToken,
  parseChallenge,
  sendAuthorized,
  TokenRefusedError,
  tokenUrl,
} from '../../../src/docker/registry-auth.ts';

describe('parseChallenge', () => {
  it('reads the Bearer challenges GHCR and Gitea send', () => {
    expect(
      parseChallenge(
        'Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:acme/web:pull,push"',
      ),
    ).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://ghcr.io/token', service: 'ghcr.io', scope: 'repository:acme/web:pull,push' },
    });
    expect(
      parseChallenge(
        'Bearer realm="https://git.example.com/v2/token",service="container_registry",scope="*"',
      ),
    ).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://git.example.com/v2/token', service: 'container_registry', scope: '*' },
    });
  });

  it('takes unquoted values, spaces around "=" and ",", escaped quotes, and any case of names', () => {
    expect(parseChallenge('bearer Realm = https://r.test/t , service=reg, scope="a\\"b"')).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://r.test/t', service: 'reg', scope: 'a"b' },
    });
    expect(parseChallenge('Basic realm="slipway-sandbox-demo"')).toEqual({
      scheme: 'basic',
      params: { realm: 'slipway-sandbox-demo' },
    });
  });

  it('rejects what is no challenge', () => {
    for (const bad of ['', '   ', 'Bearer realm', 'Bearer realm="unterminated', 'Bearer =x', '"Bearer"'])
      expect(parseChallenge(bad), bad).toBeUndefined();
  });
});

describe('tokenUrl', () => {
  const bearer = (params: Record<string, string>) => ({ scheme: 'bearer', params });

  it('adds the service and one scope parameter per scope', () => {
    const url = tokenUrl(
      bearer({
        realm: 'https://auth.test/token?client=x',
        service: 'reg',
        scope: 'repository:a:pull repository:b:pull,push',
      }),
      'https',
    );
    expect(url.searchParams.get('client')).toBe('x');
    expect(url.searchParams.get('service')).toBe('reg');
    expect(url.searchParams.getAll('scope')).toEqual(['repository:a:pull', 'repository:b:pull,push']);
  });

  it('never sends the credentials of an https registry in clear, nor anywhere but http(s)', () => {
    expect(() => tokenUrl(bearer({ realm: 'http://auth.test/token' }), 'https')).toThrow(
      'refusing to send credentials to the plain-http realm http://auth.test/token of an https registry',
    );
    expect(tokenUrl(bearer({ realm: 'http://auth.test/token' }), 'http').protocol).toBe('http:');
    expect(() => tokenUrl(bearer({ realm: 'file:///etc/passwd' }), 'https')).toThrow(
      'expected an http(s) URL as the Bearer realm, got "file:///etc/passwd"',
    );
    expect(() => tokenUrl(bearer({ realm: 'not a url' }), 'http')).toThrow(/expected an http\(s\) URL/);
    expect(() => tokenUrl(bearer({ service: 'reg' }), 'http')).toThrow(
      'expected a realm in the Bearer challenge, got none',
    );
  });
});

/** What the local server saw: each request's path with query and its Authorization header. */
interface Seen {
  url: string;
  authorization: string | undefined;
}

describe('the token flow against a local registry and realm', () => {
  const LOGIN = { username: 'slipway', password: 'p@ss:word' };
  let server: Server;
  let base: string;
  let seen: Seen[];
  let tokenAnswer: (req: IncomingMessage) => { status: number; body: unknown };

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push({ url: req.url!, authorization: req.headers.authorization });
      const url = new URL(req.url!, base);
      if (url.pathname === '/token') {
        const a = tokenAnswer(req);
        res.writeHead(a.status, { 'content-type': 'application/json' }).end(JSON.stringify(a.body));
      } else if (url.pathname === '/basic/') {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="r"' }).end();
      } else if (req.headers.authorization === 'Bearer good-token') {
        res.writeHead(200).end('ok');
      } else {
        res
          .writeHead(401, {
            'www-authenticate': `Bearer realm="${base}/token",service="reg",scope="repository:acme/web:pull"`,
          })
          .end('{"errors":[]}');
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  beforeEach(() => {
    seen = [];
    tokenAnswer = (req) =>
      req.headers.authorization === basicAuthorization(LOGIN.username, LOGIN.password)
        ? { status: 200, body: { token: 'good-token', expires_in: 300 } }
        : { status: 401, body: { errors: [{ code: 'UNAUTHORIZED' }] } };
  });

  const send = (path: string) => (authorization: string | undefined) =>
    request(`${base}${path}`, { headers: authorization ? { authorization } : {} });
  const basic = basicAuthorization(LOGIN.username, LOGIN.password);

  it('answers the challenge: token from the realm with the basic login and the scope, then the retry', async () => {
    const { res, bearer } = await sendAuthorized(send('/v2/acme/web/manifests/latest'), {
      registryScheme: 'http',
      basic,
    });
    expect(res.statusCode).toBe(200);
    expect(await res.body.text()).toBe('ok');
    expect(bearer).toBe('good-token');
    expect(seen).toEqual([
      { url: '/v2/acme/web/manifests/latest', authorization: basic },
      { url: '/token?service=reg&scope=repository%3Aacme%2Fweb%3Apull', authorization: basic },
      { url: '/v2/acme/web/manifests/latest', authorization: 'Bearer good-token' },
    ]);
  });

  it('reuses a token it holds, without asking the realm again', async () => {
    const { res } = await sendAuthorized(send('/v2/'), {
      registryScheme: 'http',
      basic,
      bearer: 'good-token',
    });
    await res.body.dump();
    expect(res.statusCode).toBe(200);
    expect(seen.map((s) => s.url)).toEqual(['/v2/']);
  });

  it('takes `access_token` when the realm answers OAuth2-style', async () => {
    tokenAnswer = () => ({ status: 200, body: { access_token: 'good-token' } });
    const { res } = await sendAuthorized(send('/v2/'), { registryScheme: 'http', basic });
    await res.body.dump();
    expect(res.statusCode).toBe(200);
  });

  it('says which token endpoint refused, with its status, when the login is wrong', async () => {
    const wrong = basicAuthorization(LOGIN.username, 'nope');
    const err = await sendAuthorized(send('/v2/'), { registryScheme: 'http', basic: wrong }).catch((e) => e);
    expect(err).toBeInstanceOf(TokenRefusedError);
    expect(err.message).toBe(`token endpoint ${base}/token answered 401`);
    expect(err.status).toBe(401);
  });

  it('counts a 200 without a token as a refusal', async () => {
    tokenAnswer = () => ({ status: 200, body: { token: '' } });
    const challenge = parseChallenge(`Bearer realm="${base}/token"`)!;
    await expect(fetchBearerToken(challenge, { registryScheme: 'http', basic })).rejects.toThrow(
      `token endpoint ${base}/token answered 200`,
    );
  });

  it('leaves a Basic challenge to the caller, untouched', async () => {
    const { res, bearer } = await sendAuthorized(send('/basic/'), { registryScheme: 'http', basic });
    await res.body.dump();
    expect(res.statusCode).toBe(401);
    expect(bearer).toBeUndefined();
    expect(seen).toHaveLength(1);
  });

  it('says so when the realm cannot be reached', async () => {
    const challenge = parseChallenge('Bearer realm="http://127.0.0.1:1/token"')!;
    await expect(fetchBearerToken(challenge, { registryScheme: 'http', basic })).rejects.toThrow(
      /^token endpoint http:\/\/127\.0\.0\.1:1\/token is unreachable: /,
    );
  });
});
