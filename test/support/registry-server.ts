import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { request } from 'undici';
import { freePort } from './free-port.ts';

/** A running docker-registry with htpasswd auth on loopback. */
export interface TestRegistry {
  /** `127.0.0.1:<port>` */
  address: string;
  username: string;
  password: string;
  stop(): Promise<void>;
}

/** Starts Debian's docker-registry with a bcrypt htpasswd user, for tests that need a real authenticated registry. */
export async function startRegistry(): Promise<TestRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-registry-'));
  const username = 'slipway';
  const password = randomBytes(12).toString('hex');
  const { stdout } = await execa('htpasswd', ['-Bin', username], { input: password });
  await writeFile(join(dir, 'htpasswd'), `${stdout.trim()}\n`, { mode: 0o600 });
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const config = [
    'version: 0.1',
    'log: { level: warn }',
    `storage: { filesystem: { rootdirectory: ${join(dir, 'data')} }, delete: { enabled: true } }`,
    `http: { addr: "${address}", secret: "${randomBytes(8).toString('hex')}" }`,
    `auth: { htpasswd: { realm: slipway-test, path: ${join(dir, 'htpasswd')} } }`,
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
  return { address, username, password, stop };
}
