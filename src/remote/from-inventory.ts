import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import type { InventoryHost } from '../config/types.ts';
import { LocalTransport } from './local-transport.ts';
import type { SshTarget } from './ssh-config.ts';
import { SshTransport, type SshTransportOptions } from './ssh-transport.ts';
import type { Transport } from './transport.ts';

/** Where relative paths in inventory vars (keys, known_hosts) are resolved from: the repo root. */
export interface TransportContext {
  root: string;
  ssh?: SshTransportOptions;
}

function filePath(value: unknown, root: string, varName: string, host: string): string {
  if (typeof value !== 'string' || value === '') throw new Error(`${host}: ${varName} must be a file path`);
  if (value === '~' || value.startsWith('~/')) return join(homedir(), value.slice(1));
  return isAbsolute(value) ? value : resolve(root, value);
}

/** The ProxyJump spec from `slipway_proxy_jump`, or `-J x` / `-o ProxyJump=x` in ansible_ssh_common_args. */
export function proxyJumpOf(vars: Record<string, unknown>): string | undefined {
  if (typeof vars['slipway_proxy_jump'] === 'string') return vars['slipway_proxy_jump'];
  const common = vars['ansible_ssh_common_args'];
  if (typeof common !== 'string') return undefined;
  const m = /(?:-J\s*|-o\s*["']?ProxyJump(?:=|\s+))["']?([^\s"']+)/i.exec(common);
  return m?.[1];
}

/** SSH settings of an inventory host, from the same vars Ansible reads (plus `slipway_known_hosts`). */
export function sshTargetOf(host: InventoryHost, root: string): SshTarget {
  const v = host.vars;
  const key = v['ansible_ssh_private_key_file'] ?? v['ansible_private_key_file'];
  const user = host.user ?? (typeof v['ansible_user'] === 'string' ? v['ansible_user'] : undefined);
  const target: SshTarget = {
    name: host.name,
    address: host.address,
    port: host.port,
    knownHostsFiles: [
      filePath(v['slipway_known_hosts'] ?? '~/.ssh/known_hosts', root, 'slipway_known_hosts', host.name),
    ],
  };
  if (user) target.user = user;
  if (key !== undefined) target.identityFile = filePath(key, root, 'ansible_ssh_private_key_file', host.name);
  const jump = proxyJumpOf(v);
  if (jump) target.proxyJump = jump;
  return target;
}

/** The distinct known_hosts files of these hosts (e.g. for the Ansible wrapper's `knownHosts`); local hosts need none. */
export function knownHostsFilesOf(hosts: Iterable<InventoryHost>, root: string): string[] {
  const ssh = [...hosts].filter((h) => h.vars['ansible_connection'] !== 'local');
  return [...new Set(ssh.flatMap((h) => sshTargetOf(h, root).knownHostsFiles))];
}

/** A transport for an inventory host: local for `ansible_connection: local`, else SSH. */
export function transportFor(host: InventoryHost, ctx: TransportContext): Transport {
  if (host.vars['ansible_connection'] === 'local') return new LocalTransport(host.name);
  return new SshTransport(sshTargetOf(host, ctx.root), ctx.ssh);
}
