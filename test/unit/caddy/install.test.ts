import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SHIPPED_ROLES } from '../../../src/ansible/roles.ts';
import { installCaddy } from '../../../src/caddy/install.ts';
import { ADMIN_SOCKET, adminBlock } from '../../../src/caddy/render.ts';
import { repoWithOwnRole } from '../../support/local-role-repo.ts';

const CADDY_ROLE = join(SHIPPED_ROLES, 'caddy');

describe('roles/caddy', () => {
  it('bootstraps Caddy with the same admin block Slipway renders', async () => {
    const defaults = parse(await readFile(join(CADDY_ROLE, 'defaults/main.yml'), 'utf8'));
    expect(defaults.caddy_admin_socket).toBe(ADMIN_SOCKET);
    const admin = JSON.parse(
      JSON.stringify(defaults.caddy_bootstrap.admin).replace(
        '{{ caddy_admin_socket }}',
        defaults.caddy_admin_socket,
      ),
    );
    expect(admin).toEqual(adminBlock());
  });

  it('passes ansible-playbook --syntax-check', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'slipway-role-'));
    try {
      const playbook = join(dir, 'caddy.yml');
      await writeFile(
        playbook,
        JSON.stringify([{ hosts: 'all', gather_facts: false, roles: [{ role: CADDY_ROLE }] }]),
      );
      await writeFile(join(dir, 'ansible.cfg'), '[defaults]\n');
      const { stdout } = await promisify(execFile)(
        'ansible-playbook',
        ['-i', 'localhost,', '--syntax-check', playbook],
        {
          env: {
            PATH: process.env.PATH ?? '',
            HOME: dir,
            ANSIBLE_CONFIG: join(dir, 'ansible.cfg'),
            ANSIBLE_LOCAL_TEMP: dir,
          },
        },
      );
      expect(stdout).toContain('playbook: ');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

// The real ansible-playbook on the runner itself (ansible_connection: local).
describe('installCaddy', () => {
  it("runs the repository's own roles/caddy instead of Slipway's", async () => {
    const { repo, out, cleanup } = await repoWithOwnRole('caddy');
    try {
      const inventory = repo.inventories.get('dev')!;
      const result = await installCaddy({ inventory, hosts: [inventory.hosts.get('h1')!], root: repo.root });
      expect(result.hosts.h1).toBe('changed');
      expect(await readFile(join(out, 'h1.caddy'), 'utf8')).toBe('own role\n');
    } finally {
      cleanup();
    }
  });
});
