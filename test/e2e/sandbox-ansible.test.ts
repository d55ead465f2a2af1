/**
 * Ansible habits on the sandbox: the inventories `slipway sandbox up` writes work with plain `ansible` and
 * `ansible-playbook`, host-key checking on, with no configuration but the inventory itself.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, type SandboxFixture, useSandbox } from '../support/sandbox.ts';

const HOSTS = ['dev1', 'dev2'];

describe('plain ansible and ansible-playbook on the inventories sandbox up writes', () => {
  let sb: SandboxFixture;
  let dir: string;
  let runs = 0;
  const inventory = () => join(sb.inventoriesRoot, 'dev');

  // An empty ansible.cfg (so neither the machine's nor a repository's changes anything), host key checking
  // on as Ansible's default is, and a control socket directory per command so no connection is reused.
  const ansible = async (tool: 'ansible' | 'ansible-playbook', args: string[]) => {
    const control = join(dir, `cp${++runs}`);
    return execa(tool, ['-i', inventory(), ...args], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        ANSIBLE_CONFIG: join(dir, 'ansible.cfg'),
        ANSIBLE_HOST_KEY_CHECKING: 'True',
        ANSIBLE_SSH_CONTROL_PATH_DIR: control,
        ANSIBLE_NOCOLOR: '1',
      },
      reject: false,
      timeout: 120_000,
    });
  };

  beforeAll(async () => {
    sb = await useSandbox({ name: 'habits', hosts: HOSTS });
    dir = await mkdtemp(join(tmpdir(), 'slipway-habits-'));
    await writeFile(join(dir, 'ansible.cfg'), '');
    for (const h of HOSTS) await sb.exec(h, ['rm', '-f', '/root/habits.txt']);
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('checks host keys: without the known_hosts file the inventory names, ssh refuses the hosts', async () => {
    const r = await ansible('ansible', ['all', '-m', 'ping', '-e', 'ansible_ssh_common_args=']);
    expect(r.exitCode).not.toBe(0);
    expect(r.stdout).toContain('Host key verification failed');
  });

  it('ansible -m ping answers pong on every host', async () => {
    const r = await ansible('ansible', ['all', '-m', 'ping']);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    for (const h of HOSTS)
      expect(r.stdout).toMatch(new RegExp(`${h} \\| SUCCESS => \\{[\\s\\S]*?"ping": "pong"`));
  });

  it('ansible-playbook changes a file on every host, and nothing on a second run', async () => {
    const playbook = join(dir, 'habits.yml');
    await writeFile(
      playbook,
      '- hosts: web\n  gather_facts: false\n  tasks:\n    - copy: { dest: /root/habits.txt, content: "from plain ansible\\n" }\n',
    );
    const first = await ansible('ansible-playbook', [playbook]);
    expect(first.exitCode, first.stdout + first.stderr).toBe(0);
    for (const h of HOSTS) {
      expect(first.stdout).toMatch(new RegExp(`${h}\\s+: ok=1\\s+changed=1\\s+unreachable=0\\s+failed=0`));
      expect(await sb.exec(h, ['cat', '/root/habits.txt'])).toBe('from plain ansible');
    }
    const second = await ansible('ansible-playbook', [playbook]);
    expect(second.exitCode).toBe(0);
    for (const h of HOSTS) expect(second.stdout).toMatch(new RegExp(`${h}\\s+: ok=1\\s+changed=0\\s`));
  });
});
