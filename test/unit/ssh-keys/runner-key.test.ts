import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InventoryHost } from '../../../src/config/types.ts';
import { nextKeyFileOf, publicKeyOf, runnerLoginOf } from '../../../src/ssh-keys/runner-key.ts';

describe('the key Slipway logs in with', () => {
  let dir: string;
  const host = (vars: Record<string, unknown>): InventoryHost => ({
    name: 'web1',
    address: '192.0.2.1',
    port: 22,
    user: 'admin',
    groups: ['all'],
    vars: { slipway_known_hosts: '/dev/null', ...vars },
  });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'slipway-runner-key-'));
    for (const k of ['runner', 'next'])
      await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `${k}@test`, '-f', join(dir, k)]);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the .pub beside the private key, or derives it with ssh-keygen -y', async () => {
    const fromPub = await publicKeyOf(join(dir, 'runner'));
    expect(fromPub.line).toBe(readFileSync(join(dir, 'runner.pub'), 'utf8').trim());
    rmSync(join(dir, 'next.pub'));
    const derived = await publicKeyOf(join(dir, 'next'));
    const fp = (await execa('ssh-keygen', ['-lf', join(dir, 'next')])).stdout.split(' ')[1];
    expect(derived.fingerprint).toBe(fp);
    await expect(publicKeyOf(join(dir, 'missing'))).rejects.toThrow(
      `the private key ${join(dir, 'missing')} does not exist (nor ${join(dir, 'missing')}.pub): fix the inventory's path`,
    );
  });

  it('takes the user and key from the inventory, relative paths from the repo root, and the next key', async () => {
    const h = host({ ansible_ssh_private_key_file: 'runner', slipway_next_private_key_file: 'next' });
    const login = await runnerLoginOf(h, dir);
    expect(login.user).toBe('admin');
    expect(login.key.comment).toBe('runner@test');
    expect(login.next?.fingerprint).toBe((await publicKeyOf(join(dir, 'next'))).fingerprint);
    expect(nextKeyFileOf(h, dir)).toBe(join(dir, 'next'));
    expect(nextKeyFileOf(host({}), dir)).toBeUndefined();
  });
});
