/**
 * Thin sandbox hosts (`upThin`, `slipway sandbox up --thin`): sshd only in each host's namespaces, no
 * dockerd and no registry, for infra pipelines on many hosts. Three hosts here; bench/fleet.ts runs 200.
 */

import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sshArgv } from '../../src/sandbox/commands.ts';
import { execInHost } from '../../src/sandbox/host-control.ts';
import { findMembers, namespaceId } from '../../src/sandbox/processes.ts';
import { down, type SandboxHostsInfo, up, upThin } from '../../src/sandbox/sandbox.ts';
import type { SandboxState } from '../../src/sandbox/state.ts';
import { status } from '../../src/sandbox/status.ts';
import { REPO_ROOT } from '../support/sandbox.ts';

const target = { repoRoot: REPO_ROOT, name: 'thin-e2e' };
const HOSTS = ['t1', 't2', 't3'];
let info: SandboxHostsInfo;
let dir: string;

const state = () => JSON.parse(readFileSync(join(info.stateDir, 'state.json'), 'utf8')) as SandboxState;
const ssh = (host: string, remote: string[]) => {
  const h = info.hosts.find((x) => x.name === host)!;
  const [file, ...args] = sshArgv(info.sshKey, info.knownHosts, h.user, h.address, remote);
  return execa(file!, args, { reject: false, timeout: 30_000 });
};

beforeAll(async () => {
  await down(target);
  info = (await upThin({ ...target, hosts: HOSTS })).info;
  dir = await mkdtemp(join(tmpdir(), 'slipway-thin-'));
}, 120_000);

afterAll(async () => {
  await down(target);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('thin sandbox hosts', () => {
  it('lets the runner log in to each host with its own host key checked, and runs no dockerd', async () => {
    for (const h of HOSTS) {
      const r = await ssh(h, ['hostname']);
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout.trim()).toBe(h);
    }
    expect(
      new Set(
        readFileSync(info.knownHosts, 'utf8')
          .trim()
          .split('\n')
          .map((l) => l.split(' ')[2]),
      ).size,
    ).toBe(3);
    for (const h of HOSTS) {
      const procs = await execInHost(target, h, ['ps', '-e', '-o', 'comm=']);
      expect(procs).toContain('sshd');
      expect(procs).not.toMatch(/dockerd|containerd/);
    }
    expect(state()).toMatchObject({ thin: true });
    expect(state().registry).toBeUndefined();
  });

  it('writes an inventory plain ansible-playbook uses as is, host keys checked', async () => {
    const playbook = join(dir, 'touch.yml');
    await writeFile(
      playbook,
      '- hosts: all\n  gather_facts: false\n  tasks:\n    - ansible.builtin.copy: { dest: /root/thin.txt, content: "{{ inventory_hostname }}\\n" }\n',
    );
    await writeFile(join(dir, 'ansible.cfg'), '');
    const r = await execa('ansible-playbook', ['-i', join(info.inventoriesRoot, 'test'), playbook], {
      cwd: REPO_ROOT,
      env: { ...process.env, ANSIBLE_CONFIG: join(dir, 'ansible.cfg'), ANSIBLE_HOST_KEY_CHECKING: 'True' },
      reject: false,
      timeout: 120_000,
    });
    expect(r.exitCode, r.stdout).toBe(0);
    for (const h of HOSTS) expect(await execInHost(target, h, ['cat', '/root/thin.txt'])).toBe(h);
    const vars = readFileSync(join(info.inventoriesRoot, 'test', 'group_vars', 'all.yml'), 'utf8');
    expect(vars).not.toContain('slipway_registry');
  });

  it('reports healthy without a dockerd or registry, and repairs a killed sshd', async () => {
    const ok = await status(target);
    expect(ok.healthy).toBe(true);
    expect(ok.registry).toBeUndefined();
    expect(ok.hosts.map((h) => [h.name, h.sshd.ok, h.dockerd.detail])).toEqual(
      HOSTS.map((h) => [h, true, 'none (thin host)']),
    );
    process.kill(state().procs['t2']!.sshd!.pid, 'SIGKILL');
    expect((await status(target)).healthy).toBe(false);
    const r = await upThin({ ...target, hosts: HOSTS });
    expect(r.repaired).toEqual(['t2: sshd']);
    expect((await ssh('t2', ['hostname'])).stdout.trim()).toBe('t2');
  });

  it('refuses a full `up` of a thin instance, changing nothing', async () => {
    const before = state();
    await expect(up({ ...target, hosts: HOSTS })).rejects.toThrow(
      /sandbox thin-e2e is up with thin hosts, expected full ones: take it down first \(slipway sandbox down --name thin-e2e\)/,
    );
    expect(state()).toEqual(before);
  });

  it('down removes every process of the hosts', async () => {
    const members = HOSTS.map((h) => ({
      namespaces: [namespaceId('net', `/run/netns/slipway-thin-e2e-${h}`)!],
      cgroup: `/slipway/thin-e2e/${h}`,
    }));
    expect(members.flatMap((m) => findMembers(m)).length).toBeGreaterThanOrEqual(3);
    await down(target);
    expect(members.flatMap((m) => findMembers(m))).toEqual([]);
    expect((await status(target)).exists).toBe(false);
  });
});
