import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import type { InventoryHost } from '../../src/config/types.ts';
import { freePort } from './free-port.ts';

/** A private sshd on 127.0.0.1 with its own host key, client key and known_hosts, for transport tests. */
export interface ThrowawaySshd {
  dir: string;
  port: number;
  /** Client private key accepted by this sshd. */
  sshKey: string;
  /** known_hosts holding this sshd's host key as `[127.0.0.1]:port` and `[127.0.0.2]:port` (a second name, e.g. for a jump host). */
  knownHosts: string;
  /** The sshd as an inventory host named `name`. */
  inventoryHost(name?: string): InventoryHost;
  /** Replaces the host key (a "changed host key") and restarts sshd; known_hosts is left stale. */
  rotateHostKey(): Promise<void>;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops sshd and removes every file. */
  close(): Promise<void>;
}

async function waitForPort(port: number, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`sshd exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`sshd did not listen on ${port}`);
}

/** Starts a throwaway sshd (root login with a generated key); call `close()` in afterAll. */
export async function startThrowawaySshd(): Promise<ThrowawaySshd> {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-sshd-'));
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  const hostKey = join(dir, 'host_ed25519');
  const sshKey = join(dir, 'id_ed25519');
  const knownHosts = join(dir, 'known_hosts');
  const config = join(dir, 'sshd_config');
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'slipway-test', '-f', sshKey]);
  await writeFile(join(dir, 'authorized_keys'), await readFile(`${sshKey}.pub`), { mode: 0o600 });
  let port = 0;
  let child: ChildProcess | undefined;

  const writeKnownHosts = async () => {
    const pub = (await readFile(`${hostKey}.pub`, 'utf8')).trim().split(' ').slice(0, 2).join(' ');
    await writeFile(knownHosts, `[127.0.0.1]:${port},[127.0.0.2]:${port} ${pub}\n`);
  };
  const start = async () => {
    port ||= await freePort();
    await writeFile(
      config,
      [
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        'ListenAddress 127.0.0.2',
        `HostKey ${hostKey}`,
        `PidFile ${join(dir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
        'PermitRootLogin prohibit-password',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'UsePAM no',
        'StrictModes no',
        'AllowStreamLocalForwarding yes',
        'MaxStartups 64:30:128',
        'LogLevel ERROR',
        '',
      ].join('\n'),
    );
    child = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', config], { stdio: 'ignore' });
    await waitForPort(port, child);
  };
  const stop = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((resolve) => c.once('exit', resolve));
    c.kill('SIGTERM');
    await exited;
  };

  await start();
  await writeKnownHosts();
  return {
    dir,
    port,
    sshKey,
    knownHosts,
    inventoryHost: (name = 'local-sshd') => ({
      name,
      address: '127.0.0.1',
      port,
      user: 'root',
      vars: {
        ansible_host: '127.0.0.1',
        ansible_port: port,
        ansible_user: 'root',
        ansible_ssh_private_key_file: sshKey,
        slipway_known_hosts: knownHosts,
      },
      groups: ['all'],
    }),
    rotateHostKey: async () => {
      await stop();
      await rm(hostKey, { force: true });
      await rm(`${hostKey}.pub`, { force: true });
      await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
      await start();
    },
    stop,
    start,
    close: async () => {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
