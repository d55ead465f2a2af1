import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderKnownHosts, writeInventories } from '../../../src/sandbox/inventory.ts';
import { planSandbox } from '../../../src/sandbox/plan.ts';

const refs = {
  sshKey: '.slipway/sandbox/demo/id_ed25519',
  knownHosts: '.slipway/sandbox/demo/known_hosts',
  registry: {
    ca: '.slipway/sandbox/demo/registry/ca.crt',
    credentials: '.slipway/sandbox/demo/registry/credentials.json',
  },
};
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('sandbox inventory writer', () => {
  it('puts each host in the environment its --hosts entry names (env:name), not all in "test"', () => {
    const root = mkdtempSync(join(tmpdir(), 'inv-'));
    dirs.push(root);
    writeInventories(root, planSandbox('demo', 0, ['staging:web1', 'live:web2', 'live:web3', 'dev1']), refs);
    const hostsOf = (env: string) =>
      Object.keys(parse(readFileSync(join(root, env, 'hosts.yml'), 'utf8')).all.children.web.hosts);
    expect([hostsOf('staging'), hostsOf('live'), hostsOf('dev')]).toEqual([
      ['web1'],
      ['web2', 'web3'],
      ['dev1'],
    ]);
    expect(existsSync(join(root, 'test'))).toBe(false);
  });

  it('writes one inventory per environment, hosts in group web, with key and known_hosts vars', () => {
    const root = mkdtempSync(join(tmpdir(), 'inv-'));
    dirs.push(root);
    writeInventories(root, planSandbox('demo', 0, ['dev1', 'dev2', 'prod1']), refs);
    expect(parse(readFileSync(join(root, 'dev', 'hosts.yml'), 'utf8'))).toEqual({
      all: {
        children: {
          web: {
            hosts: {
              dev1: { ansible_host: '10.207.0.11', ansible_port: 22, ansible_user: 'root' },
              dev2: { ansible_host: '10.207.0.12', ansible_port: 22, ansible_user: 'root' },
            },
          },
        },
      },
    });
    expect(
      Object.keys(parse(readFileSync(join(root, 'prod', 'hosts.yml'), 'utf8')).all.children.web.hosts),
    ).toEqual(['prod1']);
    expect(parse(readFileSync(join(root, 'prod', 'group_vars', 'all.yml'), 'utf8'))).toMatchObject({
      ansible_ssh_private_key_file: refs.sshKey,
      slipway_known_hosts: refs.knownHosts,
      slipway_registry: '10.207.0.1:5000',
    });
  });

  it('names the known_hosts file for plain ansible too, quoted for the shlex split of ssh args', () => {
    const root = mkdtempSync(join(tmpdir(), 'inv-'));
    dirs.push(root);
    const spaced = { ...refs, knownHosts: "/tmp/it's here/known_hosts" };
    writeInventories(root, planSandbox('demo', 0, ['dev1']), spaced);
    const vars = parse(readFileSync(join(root, 'dev', 'group_vars', 'all.yml'), 'utf8'));
    expect(vars.ansible_ssh_common_args).toBe(`-o UserKnownHostsFile='/tmp/it'\\''s here/known_hosts'`);
    expect(vars.slipway_known_hosts).toBe(spaced.knownHosts);
  });

  it('writes thin inventories (no registry refs) that still name the key and known_hosts for plain ansible', () => {
    const root = mkdtempSync(join(tmpdir(), 'inv-'));
    dirs.push(root);
    writeInventories(root, planSandbox('fleet', 3, ['fleet:f1', 'fleet:f2']), {
      sshKey: refs.sshKey,
      knownHosts: refs.knownHosts,
    });
    const vars = parse(readFileSync(join(root, 'fleet', 'group_vars', 'all.yml'), 'utf8'));
    expect(vars).toEqual({
      ansible_ssh_private_key_file: refs.sshKey,
      ansible_python_interpreter: '/usr/bin/python3',
      slipway_known_hosts: refs.knownHosts,
      ansible_ssh_common_args: `-o UserKnownHostsFile='${refs.knownHosts}'`,
    });
    const hosts = readFileSync(join(root, 'fleet', 'hosts.yml'), 'utf8');
    expect(hosts).toContain('thin namespace hosts, sshd only');
    expect(Object.keys(parse(hosts).all.children.web.hosts)).toEqual(['f1', 'f2']);
  });

  it('drops an environment it wrote before once no host is in it', () => {
    const root = mkdtempSync(join(tmpdir(), 'inv-'));
    dirs.push(root);
    writeInventories(root, planSandbox('demo', 0, ['dev1', 'prod1']), refs);
    writeInventories(root, planSandbox('demo', 0, ['dev1']), refs);
    expect(existsSync(join(root, 'prod'))).toBe(false);
    expect(existsSync(join(root, 'dev', 'hosts.yml'))).toBe(true);
  });

  it('renders known_hosts lines by address', () => {
    expect(renderKnownHosts([{ address: '10.207.0.11', hostKey: 'ssh-ed25519 AAAA' }])).toBe(
      '10.207.0.11 ssh-ed25519 AAAA\n',
    );
  });

  it('gives bare hosts the docker_host vars their dockerd needs here: cgroup parent and supervisor', () => {
    const root = mkdtempSync(join(tmpdir(), 'inv-'));
    dirs.push(root);
    writeInventories(root, planSandbox('lab', 4, ['dev1', 'dev2']), { ...refs, bare: true });
    const text = readFileSync(join(root, 'dev', 'hosts.yml'), 'utf8');
    expect(text).toContain('bare namespace hosts on their own Debian rootfs');
    expect(parse(text).all.children.web.hosts.dev2).toEqual({
      ansible_host: '10.207.4.12',
      ansible_port: 22,
      ansible_user: 'root',
      docker_host_daemon_json: { 'cgroup-parent': '/slipway/lab/dev2' },
      docker_host_supervisor: 'start-stop-daemon',
    });
  });
});
