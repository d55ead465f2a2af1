import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigErrorList } from '../../../../src/config/errors.ts';
import { resolveInventory } from '../../../../src/config/inventory/resolve.ts';

const root = mkdtempSync(join(tmpdir(), 'slipway-inv-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function inventory(name: string, files: Record<string, string>): string {
  const dir = join(root, name);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  return dir;
}

describe('resolved hosts', () => {
  it('take address, port and user from ansible_* vars (the older ansible_ssh_* names first, as Ansible does)', async () => {
    const dir = inventory('conn', {
      hosts:
        '[web]\nold1 ansible_ssh_host=10.0.0.9 ansible_ssh_port=2200 ansible_ssh_user=admin\nnew1:2201\n',
      'group_vars/web.yml': 'ansible_user: deploy\n',
      'host_vars/new1.yml': 'ansible_host: 10.0.0.8\n',
    });
    const inv = await resolveInventory(dir, 'conn');
    expect(inv.hosts.get('old1')).toMatchObject({ address: '10.0.0.9', port: 2200, user: 'admin' });
    expect(inv.hosts.get('new1')).toMatchObject({
      address: '10.0.0.8',
      port: 2201,
      user: 'deploy',
      groups: ['web'],
    });
  });

  it('list every host of a group through its children, and each host its groups', async () => {
    const dir = inventory('groups', {
      'hosts.yml':
        'all:\n  children:\n    prod:\n      children:\n        web:\n          hosts: { w1: , w2: }\n        db:\n          hosts: { d1: }\n',
    });
    const inv = await resolveInventory(dir, 'groups');
    expect(inv.groups.get('prod')).toEqual(['w1', 'w2', 'd1']);
    expect(inv.groups.get('all')).toEqual(['w1', 'w2', 'd1']);
    expect(inv.hosts.get('d1')?.groups).toEqual(['db', 'prod']);
  });

  it('report every problem with its file and line', async () => {
    const dir = inventory('broken', {
      'a.yml': 'web:\n  hosts:\n    w[01:4]:\n',
      b: '[db]\nd1 novalue\n',
    });
    const err = await resolveInventory(dir, 'broken', { displayRoot: dir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigErrorList);
    expect((err as ConfigErrorList).message.split('\n')).toEqual([
      'a.yml:3:5: web.hosts.w[01:4]: invalid host pattern "w[01:4]": host range must specify equal-length begin and end formats; write a range like web[01:04] or db[a:c]',
      'b:2:1: expected key=value host variable, got "novalue"; write name=value after the host name',
    ]);
  });
});
