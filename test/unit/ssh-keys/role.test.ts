import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runSshKeysRole } from '../../../src/ssh-keys/role.ts';
import { repoWithOwnRole } from '../../support/local-role-repo.ts';

// The real ansible-playbook on the runner itself (ansible_connection: local).
describe('runSshKeysRole', () => {
  it("runs the repository's own roles/ssh_keys instead of Slipway's", async () => {
    const { repo, out, cleanup } = await repoWithOwnRole('ssh_keys');
    try {
      const result = await runSshKeysRole({
        inventory: repo.inventories.get('dev')!,
        accounts: new Map([['h1', [{ name: 'deploy', shell: '/bin/bash', groups: [], keys: [] }]]]),
        keep: new Map(),
        offboard: 'lock',
        phase: 'exact',
        check: false,
        root: repo.root,
      });
      expect(result.hosts.h1).toBe('changed');
      expect(await readFile(join(out, 'h1.ssh_keys'), 'utf8')).toBe('own role\n');
    } finally {
      cleanup();
    }
  });
});
