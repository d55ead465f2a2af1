/**
 * A bare Debian server (its own rootfs from mmdebstrap, only sshd) brought to a deploy target by an infra
 * pipeline through the CLI: SSH keys, Docker (the docker-host step: roles/docker_host) and Caddy, installed with apt
 * from the distribution's packages on that host alone; then an app pipeline deploys the sample app there
 * and it answers through Caddy.
 *
 * Compose path exercised: v1 (`docker-compose`, Debian bookworm's docker-compose package; bookworm has no
 * v2 package). The v2 path (`docker compose`) is covered by the golden argv tests of
 * test/unit/remote/commands/compose.test.ts and the deploys on full sandbox hosts.
 */
import { createHash } from 'node:crypto';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bareCacheDir } from '../../src/sandbox/bare-rootfs.ts';
import { Store } from '../../src/store/store.ts';
import { curlForDomain } from '../support/app-deploy.ts';
import { cloneOnSandbox, commitAsPusher, pushAppVersion } from '../support/cli-on-clone.ts';
import { type SandboxFixture, useSandbox } from '../support/sandbox.ts';

const HOSTS = ['dev1', 'prod1'];
const PACKAGES = ['docker.io', 'docker-compose', 'iproute2', 'curl', 'caddy'];

const INFRA = `name: bare-infra
jobs:
  bootstrap-dev:
    environment: dev
    approval: { approvers: [alice], allow_self_approval: true }
    steps:
      - ssh-keys: { hosts: web }
      - docker-host: { hosts: web }
      - caddy: { hosts: web }
`;

/** The sample app's pipeline without its prod job: this sandbox has a dev host only. */
async function devOnlyAppPipeline(clone: string): Promise<void> {
  const file = join(clone, 'pipelines/app.yml');
  const text = await readFile(file, 'utf8');
  await writeFile(file, text.slice(0, text.indexOf('  deploy-prod:')));
}

const sha256 = async (file: string) =>
  createHash('sha256')
    .update(await readFile(file))
    .digest('hex');

describe('a bare Debian host: the infra pipeline installs Docker (compose v1) and Caddy with apt, then an app deploys there', () => {
  let sb: SandboxFixture;
  const c = cloneOnSandbox({ prefix: 'slipway-bare-host-', timeoutMs: 600_000 });
  const machineDpkg = '/var/lib/dpkg/status';
  const rootfsDpkg = join(bareCacheDir(), 'rootfs/var/lib/dpkg/status');
  const before = { machine: '', rootfs: '' };
  // `<package> <dpkg status>` for each package, `<package> absent` where dpkg does not know it.
  const installed = (host: string) =>
    Promise.all(
      PACKAGES.map((p) =>
        sb.exec(host, ['dpkg', '-s', p]).then(
          (out) => `${p} ${/^Status: (.*)$/m.exec(out)![1]}`,
          () => `${p} absent`,
        ),
      ),
    );
  const dev1 = () => sb.hosts.find((h) => h.name === 'dev1')!;
  // From the runner: a bare host has no curl of its own until the role installs one.
  const viaCaddy = async (domain: string, path: string) => {
    const [file, ...args] = curlForDomain(domain, `http://${dev1().address}${path}`);
    return (await execa(file!, args)).stdout.replace(/\s+/g, ' ').trim();
  };
  let runId = 0;

  beforeAll(async () => {
    // Fresh: a bare host starts with only sshd, whatever an earlier run installed.
    sb = await useSandbox({ name: 'bare', hosts: HOSTS, bare: true, fresh: true });
    before.machine = await sha256(machineDpkg);
    before.rootfs = await sha256(rootfsDpkg);
    await c.setUp(sb.inventoriesRoot, { SLIPWAY_REGISTRY_PASSWORD: sb.registry.password });
    await writeFile(join(c.at.clone, 'pipelines/bare-infra.yml'), INFRA);
    // An account only roles/docker_host knows of (deploy comes from infra/access.yml through ssh-keys).
    await appendFile(join(sb.inventoriesRoot, 'dev/group_vars/all.yml'), 'docker_host_users: [ci]\n');
    await devOnlyAppPipeline(c.at.clone);
    await execa('git', ['-C', c.at.clone, 'add', 'pipelines']);
    await commitAsPusher(c.at.clone, 'bare-infra: keys, docker_host and caddy on dev');
  }, 300_000);

  afterAll(async () => {
    await c.tearDown();
    if (sb) await sb.down();
  });

  it('starts with only sshd: no Docker, compose or Caddy on the host', async () => {
    for (const h of HOSTS) expect(await installed(h)).toEqual(PACKAGES.map((p) => `${p} absent`));
  });

  it('plans the install at the gate, changing nothing', { timeout: 300_000 }, async () => {
    const started = await c.slipway('run', 'pipelines/bare-infra.yml', '--detach');
    expect(started.exitCode, started.stderr).toBe(3);
    runId = Number(/run (\d+)/.exec(started.stderr)![1]);
    const store = new Store(join(c.at.dir, 'state.db'));
    try {
      const subjects = store.gates
        .latest(runId, 'bootstrap-dev')!
        .plan.map((p) => p.changes.map((x) => x.subject));
      expect(subjects.flat().join('\n')).toContain(
        'Install from the distribution: docker.io docker-compose iproute2 curl',
      );
    } finally {
      store.close();
    }
    expect(await installed('dev1')).toEqual(PACKAGES.map((p) => `${p} absent`));
  });

  it('once approved, installs Docker, compose v1 and Caddy with apt on that host alone', {
    timeout: 600_000,
  }, async () => {
    const approved = await c.slipway('approve', String(runId));
    expect(approved.exitCode, approved.stderr).toBe(0);
    expect(await installed('dev1')).toEqual(PACKAGES.map((p) => `${p} install ok installed`));
    expect(await sb.exec('dev1', ['docker', 'info', '--format', '{{.ServerVersion}}'])).toMatch(/^20\.10\./);
    // The compose path this host gives deploys: v1, and no v2 plugin.
    expect(await sb.exec('dev1', ['docker-compose', 'version', '--short'])).toMatch(/^1\./);
    expect(
      await sb.exec('dev1', ['sh', '-c', 'docker compose version >/dev/null 2>&1 && echo v2 || echo none']),
    ).toBe('none');
    for (const user of ['deploy', 'ci'])
      expect(await sb.exec('dev1', ['id', '-nG', user])).toContain('docker');
    expect(await sb.exec('dev1', ['stat', '-c', '%F', '/run/caddy/admin.sock'])).toBe('socket');
    // apt changed that host only: not the prod host, not the shared rootfs, not the machine.
    expect(await installed('prod1')).toEqual(PACKAGES.map((p) => `${p} absent`));
    expect(await sha256(rootfsDpkg)).toBe(before.rootfs);
    expect(await sha256(machineDpkg)).toBe(before.machine);
  });

  it('plans zero changes the second time, and a second run changes nothing', {
    timeout: 600_000,
  }, async () => {
    const again = await c.slipway('plan', 'pipelines/bare-infra.yml', '--json');
    expect(again.exitCode, again.stderr).toBe(0);
    expect([...again.stdout.matchAll(/"subject":\s*"([^"]*)"/g)].map((m) => m[1])).toEqual([]);

    const second = await c.slipway('run', 'pipelines/bare-infra.yml', '--detach');
    expect(second.exitCode, second.stderr).toBe(3);
    const id = Number(/run (\d+)/.exec(second.stderr)![1]);
    const approved = await c.slipway('approve', String(id));
    expect(approved.exitCode, approved.stderr).toBe(0);
    const store = new Store(join(c.at.dir, 'state.db'));
    try {
      // One entry per step (ssh-keys, ansible, caddy), none changed.
      expect(store.detail(id)!.hosts.map((h) => `${h.host} ${h.status}`)).toEqual(Array(3).fill('dev1 ok'));
    } finally {
      store.close();
    }
  });

  it('deploys the sample app there with compose v1, and it answers through Caddy', {
    timeout: 600_000,
  }, async () => {
    await pushAppVersion(c.at.clone, sb.registry.address, '1.0');
    const run = await c.slipway('run', 'pipelines/app.yml');
    expect(run.exitCode, run.stderr).toBe(0);
    expect(await viaCaddy('web.dev.example.test', '/version.txt')).toBe('web 1.0 200');
    const projects = await sb.exec('dev1', [
      'docker',
      'ps',
      '--format',
      '{{.Label "com.docker.compose.version"}}',
    ]);
    expect(projects).toMatch(/^1\.29\./);
  });
});
