import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { request } from 'undici';
import { startTokenService } from '../../src/sandbox/token-service.ts';
import { freePort } from './free-port.ts';
import { selfSignedLoopbackCert } from './tls-cert.ts';

/** A running docker-registry with htpasswd auth on loopback. */
export interface TestRegistry {
  /** `127.0.0.1:<port>` */
  address: string;
  username: string;
  password: string;
  /** In token mode: the CA (PEM) of the token service's TLS certificate. */
  ca?: string;
  stop(): Promise<void>;
}

/** The registry's `auth` section: htpasswd, or Bearer tokens from the sandbox's token service (started here). */
async function authSection(
  dir: string,
  login: { username: string; password: string },
  mode: 'basic' | 'token',
): Promise<{ auth: string; ca?: string; stop(): Promise<void> }> {
  if (mode === 'basic') {
    const { stdout } = await execa('htpasswd', ['-Bin', login.username], { input: login.password });
    await writeFile(join(dir, 'htpasswd'), `${stdout.trim()}\n`, { mode: 0o600 });
    const auth = `auth: { htpasswd: { realm: slipway-test, path: ${join(dir, 'htpasswd')} } }`;
    return { auth, stop: async () => {} };
  }
  // One self-signed pair serves TLS on 127.0.0.1 and signs the tokens: the test trusts it as a CA.
  const f = (name: string) => join(dir, name);
  const tls = await selfSignedLoopbackCert(dir);
  await writeFile(f('credentials.json'), JSON.stringify(login), { mode: 0o600 });
  const port = await freePort();
  const server = await startTokenService({
    host: '127.0.0.1',
    port,
    tlsCert: tls.cert,
    tlsKey: tls.key,
    signingKey: tls.key,
    signingCert: tls.cert,
    issuer: 'slipway-test-issuer',
    service: 'slipway-test',
    credentials: f('credentials.json'),
  });
  const auth = `auth: { token: { realm: "https://127.0.0.1:${port}/token", service: slipway-test, issuer: slipway-test-issuer, rootcertbundle: ${tls.cert} } }`;
  const ca = await readFile(tls.cert, 'utf8');
  return { auth, ca, stop: () => new Promise<void>((r) => server.close(() => r())) };
}

/**
 * Starts Debian's docker-registry with one user, for tests that need a real authenticated registry:
 * htpasswd (bcrypt) by default, or `token` mode with the sandbox's token service as its realm.
 */
export async function startRegistry(mode: 'basic' | 'token' = 'basic'): Promise<TestRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-registry-'));
  const username = 'slipway';
  const password = randomBytes(12).toString('hex');
  const auth = await authSection(dir, { username, password }, mode);
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const config = [
    'version: 0.1',
    'log: { level: warn }',
    `storage: { filesystem: { rootdirectory: ${join(dir, 'data')} }, delete: { enabled: true } }`,
    `http: { addr: "${address}", secret: "${randomBytes(8).toString('hex')}" }`,
    auth.auth,
  ].join('\n');
  await writeFile(join(dir, 'config.yml'), config);
  const child: ResultPromise = execa('docker-registry', ['serve', join(dir, 'config.yml')], {
    reject: false,
    stdio: 'ignore',
  });
  let exited = false;
  void child.then(() => {
    exited = true;
  });
  const stop = async () => {
    child.kill('SIGTERM');
    await child;
    await auth.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; ; i++) {
      const ok = await request(`http://${address}/v2/`)
        .then((res) => res.body.dump().then(() => res.statusCode === 401))
        .catch(() => false);
      if (ok) break;
      if (i > 100 || exited) throw new Error('docker-registry did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { address, username, password, ...(auth.ca ? { ca: auth.ca } : {}), stop };
}
