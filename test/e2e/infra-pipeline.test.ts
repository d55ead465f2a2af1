import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitAsPusher, slipwayOnClone } from '../support/cli-on-clone.ts';
import { resetRoleCaddy } from '../support/role-caddy.ts';
import { type SandboxFixture, useSandbox } from '../support/sandbox.ts';
import { sshLogin } from '../support/ssh-login.ts';

const repoRoot = resolve(import.meta.dirname, '../..');
const HOSTS = ['dev1', 'prod1'];

/**
 * The shipped pipelines/infra.yml through the CLI on a clone of this repository pointed at a sandbox
 * instance with a dev and a prod host: gate, ssh-keys dev, ssh-keys prod, gate, caddy dev, caddy prod
 * (each after docker-host, which finds Docker running on these hosts and changes nothing).
 * The clone's alice key is swapped for one this test holds the private half of.
 */
describe('pipelines/infra.yml end to end on the sandbox', () => {
  let sb: SandboxFixture;
  let dir: string;
  let clone: string;
  let env: NodeJS.ProcessEnv;

  const slipway = slipwayOnClone({
    clone: () => clone,
    inventoriesRoot: () => sb.inventoriesRoot,
    env: () => env,
    timeoutMs: 800_000,
  });
  const login = (host: string, user: string, key: string) => {
    const h = sb.hosts.find((x) => x.name === host)!;
    return sshLogin({ address: h.address, port: h.port, knownHosts: sb.knownHosts }, user, key);
  };
  const resetHost = async (h: string) => {
    await resetRoleCaddy(sb, h);
    for (const u of ['alice', 'bob'])
      await sb.exec(h, ['sh', '-c', 'userdel -r "$1" 2>/dev/null || true', 'x', u]);
    await sb.exec(h, ['tee', '/root/.ssh/authorized_keys'], {
      input: await readFile(`${sb.sshKey}.pub`, 'utf8'),
    });
  };

  beforeAll(async () => {
    sb = await useSandbox({ name: 'infrapipe', hosts: HOSTS });
    for (const h of HOSTS) await resetHost(h);
    dir = await mkdtemp(join(tmpdir(), 'slipway-infra-pipeline-'));
    clone = join(dir, 'repo');
    await execa('git', ['clone', '--quiet', repoRoot, clone]);
    // Prod admits main only, whichever branch this checkout is on.
    await execa('git', ['-C', clone, 'checkout', '--quiet', '-B', 'main']);
    await execa('ssh-keygen', [
      '-q',
      '-t',
      'ed25519',
      '-N',
      '',
      '-C',
      'alice@e2e.test',
      '-f',
      join(dir, 'alice'),
    ]);
    await writeFile(join(clone, 'infra/ssh-keys/alice.pub'), await readFile(join(dir, 'alice.pub')));
    await commitAsPusher(clone, 'alice: a key this test holds');
    env = { ...process.env, SLIPWAY_STATE: join(dir, 'state.db') };
  });

  afterAll(async () => {
    if (sb) for (const h of HOSTS) await resetHost(h).catch(() => undefined);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  let run = '';

  it('plans per-host key changes, then stops at the first gate with nothing changed', {
    timeout: 600_000,
  }, async () => {
    const planned = await slipway('plan', 'pipelines/infra.yml');
    expect(planned.exitCode, planned.stderr).toBe(0);
    expect(planned.stdout).toMatch(/add dev1: authorized_keys alice: alice@e2e\.test \(SHA256:/);
    expect(planned.stdout).toContain('add prod1: user bob');

    const started = await slipway('run', 'pipelines/infra.yml', '--detach');
    expect(started.exitCode, started.stderr).toBe(3);
    run = /run (\d+)/.exec(started.stderr)![1]!;
    expect(await login('dev1', 'alice', join(dir, 'alice'))).toBeUndefined();
  });

  it('once approved, sets the keys on dev then prod and stops at the Caddy gate', {
    timeout: 900_000,
  }, async () => {
    // As the CLI does with several gates: record the approval, then continue until the next gate.
    const approved = await slipway('approve', run, 'ssh-keys-dev', '--no-continue');
    expect(approved.exitCode, approved.stderr).toBe(0);
    const keys = await slipway('resume', run, '--detach');
    expect(keys.exitCode, keys.stderr).toBe(3);
    expect(keys.stderr).toContain('caddy-dev');
    for (const h of HOSTS) {
      expect(await login(h, 'alice', join(dir, 'alice'))).toBe('alice');
      expect(await login(h, 'root', join(dir, 'alice'))).toBe('root');
      expect(await login(h, 'root', sb.sshKey)).toBe('root');
    }
    // Caddy waits behind its own gate.
    expect(await sb.exec('dev1', ['sh', '-c', 'test -S /run/caddy/admin.sock && echo up || echo down'])).toBe(
      'down',
    );
  });

  it('once approved again, installs and configures Caddy on dev then prod', {
    timeout: 900_000,
  }, async () => {
    const caddy = await slipway('approve', run, 'caddy-dev');
    expect(caddy.exitCode, caddy.stderr).toBe(0);
    for (const h of HOSTS)
      expect(await sb.exec(h, ['stat', '-c', '%F', '/run/caddy/admin.sock'])).toBe('socket');
  });

  it('plans zero changes on a second plan, and sees a key added by hand as drift', {
    timeout: 600_000,
  }, async () => {
    const again = await slipway('plan', 'pipelines/infra.yml', '--json');
    expect(again.exitCode, again.stderr).toBe(0);
    const changes = (text: string) => [...text.matchAll(/"subject":\s*"([^"]*)"/g)].map((m) => m[1]);
    expect(changes(again.stdout)).toEqual([]);

    await sb.exec('prod1', ['tee', '-a', '/home/alice/.ssh/authorized_keys'], {
      input: await readFile(join(repoRoot, 'infra/ssh-keys/bob.pub'), 'utf8'),
    });
    const drift = await slipway('plan', 'pipelines/infra.yml', '--json');
    expect(changes(drift.stdout)).toEqual([
      expect.stringMatching(/^authorized_keys alice: bob@acme\.example \(SHA256:/),
    ]);
  });
});
