// The WWW-Authenticate challenge of a registry is input from outside: it names where Slipway sends the
// pipeline's registry password. A hostile (or hijacked) registry must not get it sent in clear, to a
// non-http URL, with parameters it smuggles in, nor fill the runner's memory through its realm.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer as createHttpServer, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MAX_TOKEN_ANSWER } from '../../src/docker/registry-auth.ts';
import { RegistryClient, RegistryError } from '../../src/docker/registry-client.ts';
import { selfSignedLoopbackCert } from '../support/tls-cert.ts';

const PASSWORD = 'the-registry-password';

describe('a hostile registry challenge', () => {
  let dir: string;
  let ca: string;
  let registry: Server;
  let realm: Server;
  let thief: HttpServer;
  let challenge: string;
  let realmAnswer: (res: ServerResponse) => void;
  const stolen: { url: string; authorization?: string }[] = [];
  const realmSeen: string[] = [];
  const port = (s: Server | HttpServer) => (s.address() as AddressInfo).port;
  const listen = (s: Server | HttpServer) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r));

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'slipway-hostile-registry-'));
    const tls = await selfSignedLoopbackCert(dir);
    const options = { cert: await readFile(tls.cert), key: await readFile(tls.key) };
    ca = await readFile(tls.cert, 'utf8');
    registry = createServer(options, (_req, res) => {
      res.writeHead(401, { 'www-authenticate': challenge }).end();
    });
    realm = createServer(options, (req, res) => {
      realmSeen.push(req.url!);
      realmAnswer(res);
    });
    thief = createHttpServer((req, res) => {
      stolen.push({ url: req.url!, authorization: req.headers.authorization });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"token":"t"}');
    });
    await Promise.all([listen(registry), listen(realm), listen(thief)]);
  });
  afterAll(async () => {
    for (const s of [registry, realm, thief]) await new Promise<void>((r) => (s ? s.close(() => r()) : r()));
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    stolen.length = 0;
    realmSeen.length = 0;
    realmAnswer = (res) => res.writeHead(401).end();
  });

  const digestOf = async () => {
    const address = `127.0.0.1:${port(registry)}`;
    const client = new RegistryClient({
      registry: address,
      scheme: 'https',
      ca: [ca],
      auth: { username: 'slipway', password: PASSWORD, registry: address },
    });
    try {
      return await client.manifestDigest('acme/web', 'latest').catch((e: unknown) => e);
    } finally {
      await client.close();
    }
  };

  it('never sends the password of an https registry to a plain-http realm', async () => {
    challenge = `Bearer realm="http://127.0.0.1:${port(thief)}/token",service="x"`;
    const err = await digestOf();
    expect(err).toBeInstanceOf(RegistryError);
    expect((err as Error).message).toContain('refusing to send credentials to the plain-http realm');
    expect(stolen).toEqual([]);
  });

  it('never follows a realm that is no http(s) URL', async () => {
    challenge = 'Bearer realm="file:///etc/shadow"';
    expect(String(await digestOf())).toContain('expected an http(s) URL as the Bearer realm');
  });

  it('keeps parameters smuggled in the service or scope inside their own values', async () => {
    challenge = `Bearer realm="https://127.0.0.1:${port(realm)}/token",service="x&account=admin",scope="repository:a:pull&offline_token=true"`;
    await digestOf();
    expect(realmSeen).toHaveLength(1);
    const asked = new URL(realmSeen[0]!, 'https://realm.invalid').searchParams;
    expect([...asked.keys()]).toEqual(['service', 'scope']);
    expect(asked.get('service')).toBe('x&account=admin');
  });

  it('stops reading a realm answer past 1 MiB and says so', async () => {
    challenge = `Bearer realm="https://127.0.0.1:${port(realm)}/token",service="x"`;
    realmAnswer = (res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`{"token":"${'a'.repeat(MAX_TOKEN_ANSWER + 10)}"}`);
    };
    const err = await digestOf();
    expect(err).toBeInstanceOf(RegistryError);
    expect((err as Error).message).toContain('expected a token answer under 1 MiB');
    expect((err as Error).message).not.toContain(PASSWORD);
  });
});
