import { homedir } from 'node:os';
import { describe, expect, it } from 'vitest';
import type { InventoryHost } from '../../../src/config/types.ts';
import {
  knownHostsFilesOf,
  proxyJumpOf,
  sshTargetOf,
  transportFor,
} from '../../../src/remote/from-inventory.ts';
import { LocalTransport } from '../../../src/remote/local-transport.ts';
import { renderSshConfig } from '../../../src/remote/ssh-config.ts';
import { SshTransport } from '../../../src/remote/ssh-transport.ts';

function host(vars: Record<string, unknown>): InventoryHost {
  return { name: 'web1', address: '10.207.0.11', port: 2222, vars, groups: ['web'] };
}

describe('sshTargetOf', () => {
  it('reads the Ansible connection vars, resolving relative paths from the repo root', () => {
    const h = host({
      ansible_user: 'deploy',
      ansible_ssh_private_key_file: 'keys/id_ed25519',
      slipway_known_hosts: '.slipway/sandbox/known_hosts',
    });
    expect(sshTargetOf(h, '/repo')).toEqual({
      name: 'web1',
      address: '10.207.0.11',
      port: 2222,
      user: 'deploy',
      identityFile: '/repo/keys/id_ed25519',
      knownHostsFiles: ['/repo/.slipway/sandbox/known_hosts'],
    });
  });

  it('defaults known_hosts to ~/.ssh/known_hosts', () => {
    expect(sshTargetOf(host({}), '/repo').knownHostsFiles).toEqual([`${homedir()}/.ssh/known_hosts`]);
  });

  it('finds a jump host in slipway_proxy_jump or ansible_ssh_common_args', () => {
    expect(proxyJumpOf({ slipway_proxy_jump: 'ops@bastion:2200' })).toBe('ops@bastion:2200');
    expect(proxyJumpOf({ ansible_ssh_common_args: '-o ProxyJump=ops@bastion' })).toBe('ops@bastion');
    expect(proxyJumpOf({ ansible_ssh_common_args: '-C -o "ProxyJump ops@b:22"' })).toBe('ops@b:22');
    expect(proxyJumpOf({ ansible_ssh_common_args: "-o ProxyJump='ops@b:22'" })).toBe('ops@b:22');
    expect(proxyJumpOf({ ansible_ssh_common_args: '-J bastion -C' })).toBe('bastion');
    expect(proxyJumpOf({})).toBeUndefined();
  });

  it('lists the distinct known_hosts files of an inventory', () => {
    const a = host({ slipway_known_hosts: 'kh' });
    const b = { ...host({ slipway_known_hosts: '/abs/kh' }), name: 'web2' };
    const c = { ...host({ slipway_known_hosts: 'kh' }), name: 'web3' };
    expect(knownHostsFilesOf([a, b, c], '/repo')).toEqual(['/repo/kh', '/abs/kh']);
  });

  it('picks a local transport for ansible_connection: local', () => {
    expect(transportFor(host({ ansible_connection: 'local' }), { root: '/' })).toBeInstanceOf(LocalTransport);
    expect(transportFor(host({}), { root: '/' })).toBeInstanceOf(SshTransport);
  });
});

describe('renderSshConfig', () => {
  it('pins strict host key checking to the given known_hosts and only the given key', () => {
    const config = renderSshConfig({
      name: 'web1',
      identityFile: '/k/id 100%',
      knownHostsFiles: ['/a/known_hosts', '/b/kh'],
    });
    expect(config).toContain('  StrictHostKeyChecking yes\n');
    expect(config).toContain('  BatchMode yes\n');
    expect(config).toContain('  UserKnownHostsFile "/a/known_hosts" "/b/kh"\n');
    expect(config).toContain('  GlobalKnownHostsFile /dev/null\n');
    expect(config).toContain('  IdentitiesOnly yes\n');
    expect(config).toContain('  IdentityFile "/k/id 100%%"\n');
    expect(config).not.toMatch(/StrictHostKeyChecking (no|accept-new)/);
  });

  it('refuses paths it cannot quote', () => {
    expect(() => renderSshConfig({ name: 'h', knownHostsFiles: ['/a"b'] })).toThrow(/unsupported character/);
  });
});
