import { createPrivateKey, verify, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuthorization } from '../../../src/docker/registry-auth.ts';
import { caArgv, serverCsrArgv } from '../../../src/sandbox/commands.ts';
import {
  basicMatches,
  grantScope,
  issueToken,
  startTokenService,
  TOKEN_TTL_SECONDS,
} from '../../../src/sandbox/token-service.ts';
import { freePort } from '../../support/free-port.ts';

const LOGIN = { username: 'slipway', password: 'secret-pw' };

describe('grantScope', () => {
  it('grants the repository actions asked for, and the catalog', () => {
    expect(grantScope('repository:acme/web:pull,push')).toEqual({
      type: 'repository',
      name: 'acme/web',
      actions: ['pull', 'push'],
    });
    expect(grantScope('registry:catalog:*')).toEqual({ type: 'registry', name: 'catalog', actions: ['*'] });
  });

  it('leaves out actions, types and shapes it does not know', () => {
    expect(grantScope('repository:acme/web:pull,admin')?.actions).toEqual(['pull']);
    expect(grantScope('repository:acme/web:*')).toBeUndefined();
    expect(grantScope('plugin:x:pull')).toBeUndefined();
    expect(grantScope('repository:pull')).toBeUndefined();
    expect(grantScope(':x:pull')).toBeUndefined();
  });
});

describe('basicMatches', () => {
  it('names the user for exactly the login, nobody otherwise', () => {
    expect(basicMatches(basicAuthorization('slipway', 'secret-pw'), LOGIN)).toBe('slipway');
    expect(basicMatches(basicAuthorization('slipway', 'secret-p'), LOGIN)).toBeUndefined();
    expect(basicMatches(basicAuthorization('other', 'secret-pw'), LOGIN)).toBeUndefined();
    expect(basicMatches('Bearer x', LOGIN)).toBeUndefined();
    expect(basicMatches(undefined, LOGIN)).toBeUndefined();
  });
});

describe('the token service', () => {
  let dir: string;
  let server: Server;
  let url: string;
  let agent: Agent;
  let cert: X509Certificate;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'slipway-token-'));
    const f = (n: string) => join(dir, n);
    const [caFile, ...caArgs] = caArgv(f('ca.key'), f('ca.crt'), 'test CA');
    await execa(caFile!, caArgs);
    const [signFile, ...signArgs] = caArgv(f('sign.key'), f('sign.crt'), 'test token signing');
    await execa(signFile!, signArgs);
    const [csrFile, ...csrArgs] = serverCsrArgv(f('tls.key'), '127.0.0.1');
    const csr = await execa(csrFile!, csrArgs);
    await writeFile(f('ext'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
    await execa(
      'openssl',
      [
        'x509',
        '-req',
        '-CA',
        f('ca.crt'),
        '-CAkey',
        f('ca.key'),
        '-CAcreateserial',
        '-out',
        f('tls.crt'),
        '-days',
        '1',
        '-extfile',
        f('ext'),
      ],
      { input: csr.stdout },
    );
    await writeFile(f('login.json'), JSON.stringify(LOGIN), { mode: 0o600 });
    const port = await freePort();
    server = await startTokenService({
      host: '127.0.0.1',
      port,
      tlsCert: f('tls.crt'),
      tlsKey: f('tls.key'),
      signingKey: f('sign.key'),
      signingCert: f('sign.crt'),
      issuer: 'test-issuer',
      service: 'test-service',
      credentials: f('login.json'),
    });
    url = `https://127.0.0.1:${port}/token`;
    agent = new Agent({ connect: { ca: await readFile(f('ca.crt'), 'utf8') } });
    cert = new X509Certificate(await readFile(f('sign.crt')));
  });
  afterAll(async () => {
    await agent?.close();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const ask = (query: string, authorization?: string) =>
    request(`${url}${query}`, { dispatcher: agent, headers: authorization ? { authorization } : {} });

  it('issues an ES256 token signed by the rootcertbundle key, x5c in its header, scoped, short-lived', async () => {
    const res = await ask(
      '?service=test-service&scope=repository:acme/web:pull,push&scope=repository:base:pull',
      basicAuthorization(LOGIN.username, LOGIN.password),
    );
    expect(res.statusCode).toBe(200);
    const body = (await res.body.json()) as { token: string; access_token: string; expires_in: number };
    expect(body.access_token).toBe(body.token);
    expect(body.expires_in).toBe(TOKEN_TTL_SECONDS);
    const [h, p, s] = body.token.split('.');
    const header = JSON.parse(Buffer.from(h!, 'base64url').toString());
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString());
    expect(header).toEqual({ typ: 'JWT', alg: 'ES256', x5c: [cert.raw.toString('base64')] });
    expect(claims).toMatchObject({
      iss: 'test-issuer',
      aud: 'test-service',
      sub: 'slipway',
      access: [
        { type: 'repository', name: 'acme/web', actions: ['pull', 'push'] },
        { type: 'repository', name: 'base', actions: ['pull'] },
      ],
    });
    expect(claims.exp - claims.iat).toBe(TOKEN_TTL_SECONDS);
    const signed = verify(
      'sha256',
      Buffer.from(`${h}.${p}`),
      { key: cert.publicKey, dsaEncoding: 'ieee-p1363' },
      Buffer.from(s!, 'base64url'),
    );
    expect(signed).toBe(true);
  });

  it('refuses a wrong or missing login with 401 and issues nothing', async () => {
    for (const authorization of [basicAuthorization('slipway', 'wrong'), undefined]) {
      const res = await ask('?service=test-service&scope=repository:acme/web:pull', authorization);
      expect(res.statusCode).toBe(401);
      expect(await res.body.text()).not.toContain('.ey');
    }
  });

  it('answers 404 to another service or path', async () => {
    const auth = basicAuthorization(LOGIN.username, LOGIN.password);
    for (const q of ['?service=other', '/../v2/?service=test-service']) {
      const res = await ask(q, auth);
      await res.body.dump();
      expect(res.statusCode, q).toBe(404);
    }
  });

  it('dates a token from the given time: not before 10 s earlier, expiring TOKEN_TTL_SECONDS later', async () => {
    const now = 1_700_000_000;
    const key = createPrivateKey(await readFile(join(dir, 'sign.key')));
    const token = issueToken({ issuer: 'i', service: 's', subject: 'u', access: [] }, key, cert, now);
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
    expect(claims).toMatchObject({ access: [], iat: now, nbf: now - 10, exp: now + TOKEN_TTL_SECONDS });
  });
});
