import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRepo } from '../../src/config/load-repo.ts';
import { status } from '../../src/sandbox/status.ts';
import { cleanHost, startHostCaddy, stopHostCaddy, throughCaddy } from '../support/app-deploy.ts';
import { pushAppVersion, slipwayOnClone } from '../support/cli-on-clone.ts';
import { REPO_ROOT, type SandboxFixture, useSandbox } from '../support/sandbox.ts';

const repoRoot = resolve(import.meta.dirname, '../..');
const HOSTS = ['dev1', 'prod1'];

/** The WWW-Authenticate header of the instance registry's 401 to GET /v2/ with `authorization`. */
async function challengeOf(sb: SandboxFixture, authorization?: string): Promise<unknown> {
  const dispatcher = new Agent({ connect: { ca: readFileSync(sb.registry.caCert, 'utf8') } });
  try {
    const res = await request(`https://${sb.registry.address}/v2/`, {
      dispatcher,
      headers: authorization ? { authorization } : {},
    });
    await res.body.dump();
    expect(res.statusCode).toBe(401);
    return res.headers['www-authenticate'];
  } finally {
    await dispatcher.close();
  }
}

/**
 * A registry as GHCR and Gitea run theirs: `sandbox up --registry-auth token` puts the sandbox registry
 * behind a Bearer challenge answered by its token service. pipelines/app.yml builds, pushes (the
 * runner's dockerd through the token flow), checks the digest (Slipway's own registry client) and deploys
 * to dev (the host's dockerd pulls with a token); with a wrong password nothing reaches the host.
 */
describe('pipelines/app.yml against a registry behind token authentication', () => {
  let sb: SandboxFixture;
  let dir: string;
  let clone: string;
  let password: string;

  const slipway = slipwayOnClone({
    clone: () => clone,
    inventoriesRoot: () => sb.inventoriesRoot,
    env: () => ({
      ...process.env,
      SLIPWAY_STATE: join(dir, 'state.db'),
      SLIPWAY_REGISTRY_PASSWORD: password,
    }),
    timeoutMs: 300_000,
  });
  const push = (version: string) => pushAppVersion(clone, sb.registry.address, version);
  const tokenLog = () => readFileSync(join(sb.stateDir, 'logs', 'token-service.log'), 'utf8');

  beforeAll(async () => {
    sb = await useSandbox({ name: 'tokenreg', hosts: HOSTS, registryAuth: 'token' });
    for (const h of HOSTS) await cleanHost(sb, h);
    dir = await mkdtemp(join(tmpdir(), 'slipway-token-registry-'));
    clone = join(dir, 'repo');
    await execa('git', ['clone', '--quiet', repoRoot, clone]);
    await execa('git', ['-C', clone, 'checkout', '--quiet', '-B', 'main']);
    const loaded = await loadRepo(clone, { inventoriesRoot: sb.inventoriesRoot });
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    await startHostCaddy(sb, 'dev1', loaded.repo.sitesFiles.get('infra/sites.yml')!, 'dev');
  });

  afterAll(async () => {
    if (sb) {
      await stopHostCaddy(sb, 'dev1');
      for (const h of HOSTS) await cleanHost(sb, h).catch(() => undefined);
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('answers with a Bearer challenge naming the token service, even to the right basic login', async () => {
    expect(sb.registry.auth).toBe('token');
    const basic = Buffer.from(`${sb.registry.username}:${sb.registry.password}`).toString('base64');
    const gateway = sb.registry.address.replace(/:\d+$/, '');
    expect(await challengeOf(sb, `Basic ${basic}`)).toBe(
      `Bearer realm="https://${gateway}:5001/token",service="slipway-sandbox-tokenreg"`,
    );
  });

  it('refuses a wrong password with an error naming the registry, and deploys nothing', async () => {
    password = 'not-the-password';
    await push('0.9');
    const r = await slipway('run', 'pipelines/app.yml', '--detach');
    expect(r.exitCode, r.stderr).toBe(1);
    const said = r.stdout + r.stderr;
    expect(said).toContain(`to registry ${sb.registry.address} as slipway failed`);
    expect(said).toMatch(/unauthorized|authentication required/i);
    expect(said).not.toContain(password);
    expect(tokenLog()).toContain('refused a token request (wrong credentials)');
    expect(await sb.exec('dev1', ['docker', 'ps', '-aq'])).toBe('');
    expect(await sb.exec('dev1', ['sh', '-c', 'ls /srv/slipway 2>/dev/null || true'])).toBe('');
    const releases = await slipway('releases', 'dev', '--json');
    expect(JSON.parse(releases.stdout)).toEqual([]);
  });

  it('builds, pushes and deploys to dev with tokens: the runner, the digest check and the host pull', async () => {
    password = sb.registry.password;
    const before = tokenLog().length;
    await push('1.0');
    const r = await slipway('run', 'pipelines/app.yml', '--detach');
    expect(r.exitCode, r.stderr).toBe(3);
    expect(await throughCaddy(sb, 'dev1', 'web.dev.example.test', '/version.txt')).toBe('web 1.0 200');
    const [release] = JSON.parse((await slipway('releases', 'dev', '--json')).stdout);
    expect(release).toMatchObject({ host: 'dev1', digest: expect.stringMatching(/^sha256:/) });
    // Every party got its tokens from the token service: push scopes for the runner, pull for the rest.
    const issued = tokenLog().slice(before);
    expect(issued).toMatch(/issued a token to slipway for \[repository:acme\/web:(pull,push|push,pull)\]/);
    expect(issued).toContain('issued a token to slipway for [repository:acme/web:pull]');
    expect(issued).not.toContain(sb.registry.password);
    // The host pulled with the header credentials: no docker login, no credentials file left behind.
    expect(await sb.exec('dev1', ['sh', '-c', 'ls /root/.docker/config.json 2>/dev/null || true'])).toBe('');
  });

  it('goes back to basic auth on an `up` without the option: the token service stops', async () => {
    const tokenPid = (await status({ repoRoot: REPO_ROOT, name: 'tokenreg' })).registry!.detail;
    expect(tokenPid).toMatch(/token auth \(token service pid \d+\)/);
    const again = await useSandbox({ name: 'tokenreg', hosts: HOSTS });
    expect(again.registry.auth).toBe('basic');
    expect(await challengeOf(again)).toBe('Basic realm="slipway-sandbox-tokenreg"');
    const after = await status({ repoRoot: REPO_ROOT, name: 'tokenreg' });
    expect(after.registry).toMatchObject({ ok: true, detail: expect.stringMatching(/basic auth$/) });
    const pid = Number(/token service pid (\d+)/.exec(tokenPid)![1]);
    expect(() => process.kill(pid, 0)).toThrow();
  });
});
