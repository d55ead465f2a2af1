import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveInventorySync } from '../../../src/config/inventory/resolve.ts';
import { access as accessSchema } from '../../../src/config/schema/access.ts';
import type { Inventory } from '../../../src/config/types.ts';
import { TransportPool } from '../../../src/remote/pool.ts';
import { hostDeclaration, sshFileProblems } from '../../../src/remote/ssh-files.ts';
import { sshKeysKind } from '../../../src/steps/kinds/ssh-keys.ts';
import { sshKeysHandler } from '../../../src/steps/ssh-keys.ts';
import { stepContext } from '../../support/step-context.ts';

describe('SSH files of inventory hosts, checked before connecting', () => {
  let root: string;
  let inv: Inventory;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'slipway-ssh-files-'));
    mkdirSync(join(root, 'inventories', 'prod'), { recursive: true });
    writeFileSync(
      join(root, 'inventories', 'prod', 'hosts.yml'),
      'all:\n  children:\n    web:\n      hosts:\n        web1:\n          ansible_host: 10.0.0.5\n          ansible_port: 2222\n          ansible_ssh_private_key_file: keys/deploy\n',
    );
    writeFileSync(
      join(root, 'inventories', 'prod', 'more'),
      '[db]\ndb1 ansible_host=10.0.0.9 slipway_known_hosts=known_hosts\n',
    );
    inv = resolveInventorySync(join(root, 'inventories', 'prod'), 'prod', { displayRoot: root });
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('finds the line that declares a host, YAML or INI', () => {
    const dir = join(root, 'inventories', 'prod');
    expect(hostDeclaration(dir, 'web1', root)).toBe('inventories/prod/hosts.yml:5');
    expect(hostDeclaration(dir, 'db1', root)).toBe('inventories/prod/more:2');
    expect(hostDeclaration(dir, 'nowhere', root)).toBe('inventories/prod');
  });

  it('names the host, its inventory line, the variable and the ssh-keyscan fix', () => {
    const home = {
      ...inv.hosts.get('web1')!,
      vars: { ...inv.hosts.get('web1')!.vars, slipway_known_hosts: 'kh/none' },
    };
    const problems = sshFileProblems([home, inv.hosts.get('db1')!], root, inv.dir);
    expect(problems).toEqual([
      `web1 (inventories/prod/hosts.yml:5): slipway_known_hosts is ${join(root, 'kh/none')}, which does not exist; ` +
        'Slipway checks every host key and never trusts one on first use: run ' +
        `\`ssh-keyscan -H -p 2222 10.0.0.5 >> ${join(root, 'kh/none')}\` and compare the fingerprint with the server's, ` +
        'or set slipway_known_hosts to the file that holds its key',
      `web1 (inventories/prod/hosts.yml:5): ansible_ssh_private_key_file is ${join(root, 'keys/deploy')}, which does not exist; ` +
        'fix the path (relative paths start at the ops repository) or create the key',
      expect.stringContaining(
        `db1 (inventories/prod/more:2): slipway_known_hosts is ${join(root, 'known_hosts')}`,
      ),
    ]);
  });

  it('the transports of the deploy and caddy steps refuse such a host before ssh runs', () => {
    const pool = new TransportPool({ root });
    expect(() => pool.get(inv.hosts.get('db1')!)).toThrow(
      /^db1: slipway_known_hosts is .*known_hosts, which does not exist; .*ssh-keyscan -H 10\.0\.0\.9 >> /,
    );
  });

  it('the ssh-keys plan fails with those messages before reading any key or starting Ansible', async () => {
    const { ctx } = stepContext({
      workdir: root,
      sha: 'a'.repeat(40),
      pipeline: { name: 'infra', jobs: { k: { environment: 'prod', steps: [{ 'ssh-keys': {} }] } } },
      inventory: inv,
      repo: {
        accessFiles: new Map([['infra/access.yml', accessSchema.parse({ users: { deploy: { keys: [] } } })]]),
      },
    });
    const step = sshKeysKind.schema.parse({ 'ssh-keys': { hosts: 'web' } });
    // web1 has no slipway_known_hosts: ~/.ssh/known_hosts, in a home without one.
    const home = process.env['HOME'];
    process.env['HOME'] = root;
    const plan = sshKeysHandler.plan(ctx, step);
    process.env['HOME'] = home;
    await expect(plan).rejects.toThrow(
      /^web1 \(inventories\/prod\/hosts.yml:5\): slipway_known_hosts is not set, so slipway_known_hosts is .*known_hosts, which does not exist/,
    );
    await expect(plan).rejects.toThrow(
      /ansible_ssh_private_key_file is .*keys\/deploy, which does not exist/,
    );
  });
});
