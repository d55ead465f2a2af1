/**
 * The sandbox itself, against real components: three namespaced hosts with their own sshd and dockerd,
 * the TLS registry with htpasswd auth, crash repair and a clean `down`. Uses its own instance name so
 * the shared "e2e" instance other files reuse is left alone.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sshArgv } from '../../src/sandbox/commands.ts';
import { findMembers, isAlive, namespaceId, refOf } from '../../src/sandbox/processes.ts';
import { up } from '../../src/sandbox/sandbox.ts';
import type { SandboxState } from '../../src/sandbox/state.ts';
import { status } from '../../src/sandbox/status.ts';
import { REPO_ROOT, type SandboxFixture, useSandbox } from '../support/sandbox.ts';

const NAME = 'sandbox-e2e';
const HOSTS = ['h1', 'h2', 'h3'];
let sb: SandboxFixture;

function ssh(host: string, remote: string[], knownHosts = sb.knownHosts) {
  const h = sb.hosts.find((x) => x.name === host)!;
  const [file, ...args] = sshArgv(sb.sshKey, knownHosts, h.user, h.address, remote);
  return execa(file!, args, { reject: false, timeout: 30_000 });
}

function state(): SandboxState {
  return JSON.parse(readFileSync(join(sb.stateDir, 'state.json'), 'utf8')) as SandboxState;
}

beforeAll(async () => {
  sb = await useSandbox({ name: NAME, hosts: HOSTS, fresh: true });
});

afterAll(async () => {
  await sb?.down();
});

describe('slipway sandbox', () => {
  it('lets the runner log in to every host with its key, checking host keys against the written known_hosts', async () => {
    for (const h of HOSTS) {
      const r = await ssh(h, ['hostname']);
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout.trim()).toBe(h);
    }
    const empty = join(sb.stateDir, 'empty_known_hosts');
    writeFileSync(empty, '');
    const r = await ssh('h1', ['true'], empty);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/Host key verification failed/);
  });

  it('gives each host its own dockerd on /var/run/docker.sock', async () => {
    const ids = await Promise.all(HOSTS.map((h) => sb.exec(h, ['docker', 'info', '--format', '{{.ID}}'])));
    expect(new Set(ids).size).toBe(3);
    const overSsh = await ssh('h2', ['docker', 'info', '--format', '{{.ID}}']);
    expect(overSsh.stdout.trim()).toBe(ids[1]);
  });

  it('serves the base image from the registry with auth; a host pulls it and runs an HTTP container', async () => {
    const ref = sb.registry.baseImage;
    await expect(sb.exec('h3', ['docker', 'pull', ref])).rejects.toThrow(
      /no basic auth credentials|unauthorized/i,
    );

    await sb.exec(
      'h1',
      ['docker', 'login', '--username', sb.registry.username, '--password-stdin', sb.registry.address],
      {
        input: sb.registry.password,
      },
    );
    await sb.exec('h1', ['docker', 'pull', ref]);
    await sb.exec('h1', ['docker', 'rm', '-f', 'web']).catch(() => '');
    await sb.exec('h1', [
      'docker',
      'run',
      '-d',
      '--name',
      'web',
      '-p',
      '8080:80',
      ref,
      'sh',
      '-c',
      'echo served-by-h1 > /var/www/index.html && exec httpd -f -p 80 -h /var/www',
    ]);
    const h1 = sb.hosts.find((h) => h.name === 'h1')!;
    let body = '';
    for (let i = 0; i < 50 && body !== 'served-by-h1\n'; i++) {
      body = await fetch(`http://${h1.address}:8080/`).then(
        (r) => r.text(),
        () => '',
      );
      if (body !== 'served-by-h1\n') await new Promise((r) => setTimeout(r, 100));
    }
    expect(body).toBe('served-by-h1\n');
    // Host to host by name, across the instance bridge.
    expect(await sb.exec('h2', ['curl', '-sS', '--max-time', '5', 'http://h1:8080/'])).toBe('served-by-h1');
  });

  it('keeps /etc private per host: a user added on h1 exists neither on h2 nor on the machine', async () => {
    await sb.exec('h1', ['useradd', '--create-home', 'sbtestuser']);
    expect(await sb.exec('h1', ['id', '-u', 'sbtestuser'])).toMatch(/^\d+$/);
    await expect(sb.exec('h2', ['id', '-u', 'sbtestuser'])).rejects.toThrow();
    expect(readFileSync('/etc/passwd', 'utf8')).not.toContain('sbtestuser');
    expect(await sb.exec('h1', ['ls', '/home'])).toContain('sbtestuser');
    expect(await sb.exec('h2', ['ls', '/home'])).not.toContain('sbtestuser');
  });

  it('reports every host and the registry healthy', async () => {
    const r = await status({ repoRoot: REPO_ROOT, name: NAME });
    expect(r.healthy).toBe(true);
    expect(r.hosts.map((h) => [h.name, h.sshd.ok, h.dockerd.ok])).toEqual(HOSTS.map((h) => [h, true, true]));
    expect(r.registry?.ok).toBe(true);
  });

  it('repairs a host whose sshd and dockerd were killed', async () => {
    const before = state().procs['h2']!;
    process.kill(before.sshd!.pid, 'SIGKILL');
    process.kill(before.dockerd!.pid, 'SIGKILL');
    const broken = await status({ repoRoot: REPO_ROOT, name: NAME });
    expect(broken.healthy).toBe(false);
    expect(broken.hosts.find((h) => h.name === 'h2')).toMatchObject({
      sshd: { ok: false },
      dockerd: { ok: false },
    });

    const r = await up({ repoRoot: REPO_ROOT, name: NAME, hosts: HOSTS });
    expect(r.repaired.sort()).toEqual(['h2: dockerd', 'h2: sshd']);
    expect((await status({ repoRoot: REPO_ROOT, name: NAME })).healthy).toBe(true);
    expect((await ssh('h2', ['docker', 'info', '--format', '{{.ServerVersion}}'])).exitCode).toBe(0);
  });

  it('confines a host to its own PID namespace: `kill -9 -1` there spares the machine and the other hosts', async () => {
    const runnerSide = refOf(process.pid)!;
    const others = ['h1', 'h2'].map((h) => state().procs[h]!);
    expect((await sb.exec('h3', ['ps', '-e', '-o', 'pid=,comm='])).split('\n').length).toBeLessThan(40);
    await sb.exec('h3', ['kill', '-9', '-1']).catch(() => '');
    expect(isAlive(runnerSide)).toBe(true);
    for (const p of others) expect([p.sshd, p.dockerd].every(isAlive)).toBe(true);
    const r = await up({ repoRoot: REPO_ROOT, name: NAME, hosts: HOSTS });
    expect(r.repaired.sort()).toEqual(['h3: dockerd', 'h3: sshd']);
    expect((await ssh('h3', ['hostname'])).stdout.trim()).toBe('h3');
  });

  it('isolates instances: a host opens no connection to another instance, the runner reaches both', async () => {
    const other = await useSandbox({ name: `${NAME}-b`, hosts: ['h1'] });
    try {
      const target = other.hosts[0]!.address;
      const probe = ['timeout', '3', 'bash', '-c', `</dev/tcp/${target}/22`];
      await expect(sb.exec('h1', probe)).rejects.toThrow();
      const fromRunner = await execa('bash', ['-c', `</dev/tcp/${target}/22`], {
        reject: false,
        timeout: 10_000,
      });
      expect(fromRunner.exitCode).toBe(0);
      await expect(
        other.exec('h1', ['timeout', '3', 'bash', '-c', `</dev/tcp/${sb.hosts[0]!.address}/22`]),
      ).rejects.toThrow();
    } finally {
      await other.down();
    }
  });

  it('down removes processes, namespaces, interfaces, mounts and files', async () => {
    const s = state();
    const bridge = `slipway${s.index}`;
    const memberships = HOSTS.map((h) => ({
      namespaces: [
        namespaceId('mnt', join(sb.stateDir, 'ns', `${h}.mnt`))!,
        namespaceId('pid', join(sb.stateDir, 'ns', `${h}.pid`))!,
        namespaceId('net', `/run/netns/slipway-${NAME}-${h}`)!,
      ],
      cgroup: `/slipway/${NAME}/${h}`,
    }));
    const pids = memberships.flatMap((m) => findMembers(m));
    expect(pids.length).toBeGreaterThanOrEqual(HOSTS.length * 3); // sshd, dockerd, containerd, ... each
    const refs = [...pids.map(refOf), s.registry].filter((r) => r !== undefined);

    await sb.down();

    expect(refs.filter(isAlive)).toEqual([]);
    for (const h of HOSTS) expect(existsSync(`/run/netns/slipway-${NAME}-${h}`)).toBe(false);
    expect((await execa('ip', ['link', 'show', bridge], { reject: false })).exitCode).not.toBe(0);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(sb.stateDir);
    expect((await execa('iptables', ['-S', 'FORWARD'])).stdout).not.toContain(`slipway:${NAME}`);
    expect(existsSync(sb.stateDir)).toBe(false);
    expect((await status({ repoRoot: REPO_ROOT, name: NAME })).exists).toBe(false);
  });
});

describe('slipway sandbox preflight', () => {
  it('refuses to run as a non-root user with a clear message and creates nothing', async () => {
    const r = await execa(
      'setpriv',
      [
        '--reuid=65534',
        '--regid=65534',
        '--clear-groups',
        join(REPO_ROOT, 'bin', 'slipway'),
        'sandbox',
        'up',
        '--name',
        'preflight-e2e',
      ],
      { reject: false, timeout: 60_000, cwd: REPO_ROOT },
    );
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('cannot start, nothing was created');
    expect(r.stderr).toContain('must run as root');
    expect(existsSync(join(REPO_ROOT, '.slipway', 'sandbox', 'preflight-e2e'))).toBe(false);
  });
});
