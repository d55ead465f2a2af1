/**
 * Pure argv builders for everything the sandbox runs: ip, iptables, nsenter, mount, sshd, dockerd,
 * the registry, openssl and ssh. Golden-tested in test/unit/sandbox/commands.test.ts.
 */
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HostPaths } from './layout.ts';
import {
  BARE_DOCKER,
  BARE_MERGED,
  BARE_UPPER,
  BARE_WORK,
  ETC_UPPER,
  ETC_WORK,
  PRIVATE_DIRS,
} from './layout.ts';
import type { HostPlan, SandboxPlan } from './plan.ts';

/** Where a host's namespaces are, for nsenter. */
export interface HostNamespaces {
  mntNs: string;
  utsNs: string;
  pidNs: string;
  netns: string;
}

/**
 * Runs `argv` inside all of a host's namespaces. With a PID namespace nsenter forks, so the process we
 * start is nsenter and `argv` is its child. Not `ip netns exec`: it remounts /sys, and dockerd then fails
 * with "Devices cgroup isn't mounted".
 */
export function inHost(ns: HostNamespaces, argv: readonly string[]): string[] {
  return [...enterHost(ns), `--pid=${ns.pidNs}`, '--', ...argv];
}

/** Runs `argv` in the host's mount, UTS and network namespaces only: for setup before its PID namespace exists. */
export function inHostSetup(ns: HostNamespaces, argv: readonly string[]): string[] {
  return [...enterHost(ns), '--', ...argv];
}

function enterHost(ns: HostNamespaces): string[] {
  return ['nsenter', `--mount=${ns.mntNs}`, `--uts=${ns.utsNs}`, `--net=/run/netns/${ns.netns}`];
}

/** The namespaces of `host` laid out at `paths`. */
export function namespacesOf(host: HostPlan, paths: HostPaths): HostNamespaces {
  return { mntNs: paths.mntNs, utsNs: paths.utsNs, pidNs: paths.pidNs, netns: host.netns };
}

/**
 * PID 1 of a host's PID namespace: a shell that waits forever, reaping orphans as an init does (dash's
 * `wait` collects any child). It ignores signals from inside the host, so `kill -9 -1` there only hits
 * the host's own processes; `--kill-child` ends the namespace when the unshare holding it is killed.
 */
export function hostInitArgv(ns: HostNamespaces): string[] {
  return inHostSetup(ns, [
    'unshare',
    '--pid',
    '--kill-child',
    '--',
    '/bin/sh',
    '-c',
    'while :; do sleep 3600 & wait; done',
  ]);
}

/** Creates the instance bridge with the gateway address; the alias records which state dir owns it. */
export function bridgeCreate(plan: SandboxPlan, owner: string): string[][] {
  return [
    ['ip', 'link', 'add', plan.bridge, 'type', 'bridge'],
    ['ip', 'addr', 'add', `${plan.gateway}/24`, 'dev', plan.bridge],
    ['ip', 'link', 'set', plan.bridge, 'alias', owner],
    ['ip', 'link', 'set', plan.bridge, 'up'],
  ];
}

/**
 * The FORWARD rules of an instance: traffic between its hosts may cross the bridge (br_netfilter sends
 * it through FORWARD, whose policy is often DROP), and no new connection from a host leaves the bridge
 * (hosts have a default route, as servers do, but nothing here may reach other networks).
 */
export function forwardRules(plan: SandboxPlan, action: '-C' | '-I' | '-D'): string[][] {
  const head = ['iptables', '-w', action, 'FORWARD', '-i', plan.bridge];
  const tag = ['-m', 'comment', '--comment', `slipway:${plan.name}`];
  return [
    [...head, '-o', plan.bridge, ...tag, '-j', 'ACCEPT'],
    [
      ...head,
      '!',
      '-o',
      plan.bridge,
      '-m',
      'conntrack',
      '!',
      '--ctstate',
      'RELATED,ESTABLISHED',
      ...tag,
      '-j',
      'DROP',
    ],
  ];
}

/** Creates the host's network namespace, a veth pair into it (eth0 inside) and its address. */
export function hostNetworkCreate(plan: SandboxPlan, host: HostPlan): string[][] {
  const peer = `${host.veth}p`;
  const n = ['ip', '-n', host.netns];
  return [
    ['ip', 'netns', 'add', host.netns],
    ['ip', 'link', 'add', host.veth, 'type', 'veth', 'peer', 'name', peer],
    ['ip', 'link', 'set', peer, 'netns', host.netns],
    ['ip', 'link', 'set', host.veth, 'master', plan.bridge],
    ['ip', 'link', 'set', host.veth, 'up'],
    [...n, 'link', 'set', peer, 'name', 'eth0'],
    [...n, 'addr', 'add', `${host.address}/24`, 'dev', 'eth0'],
    [...n, 'link', 'set', 'eth0', 'up'],
    [...n, 'link', 'set', 'lo', 'up'],
    [...n, 'route', 'add', 'default', 'via', plan.gateway],
  ];
}

/** Creates the host's mount and UTS namespaces, kept alive by binding them onto files. */
export function namespacesCreate(paths: HostPaths): string[] {
  return ['unshare', `--mount=${paths.mntNs}`, `--uts=${paths.utsNs}`, '--propagation', 'private', 'true'];
}

/**
 * Mounts the host's private directories over the shared ones, inside its mount namespace. The host
 * directory is first bound at /mnt so that mounting over /home, /root or /tmp cannot hide the state
 * directory (which may live there) before every mount is made, and so that no state dir path (which
 * may hold commas) appears in the overlay options. /etc is an overlay on the machine's /etc: instant,
 * and renames (useradd replacing /etc/passwd) work. /run becomes a fresh tmpfs so the docker socket,
 * pid files and sshd's privilege-separation dir are the host's own.
 */
export function hostMounts(ns: HostNamespaces, paths: HostPaths, hostname: string): string[][] {
  const overlay = `lowerdir=/etc,upperdir=/mnt/${ETC_UPPER},workdir=/mnt/${ETC_WORK}`;
  const cmds: string[][] = [
    ['mount', '--bind', paths.root, '/mnt'],
    ['mount', '-t', 'overlay', '-o', overlay, 'slipway-etc', '/etc'],
  ];
  for (const { dir, target } of PRIVATE_DIRS) {
    cmds.push(['mkdir', '-p', target], ['mount', '--bind', join('/mnt', dir), target]);
  }
  cmds.push(
    ['umount', '/mnt'],
    ['mount', '-t', 'tmpfs', '-o', 'mode=755', 'slipway-run', '/run'],
    ['mkdir', '-p', '/run/sshd', '/run/lock'],
    ['hostname', hostname],
  );
  return cmds.map((argv) => inHostSetup(ns, argv));
}

/** Where a bare host sees the sandbox's local apt repository (read-only), named in its sources.list. */
export const BARE_APT_DIR = '/var/lib/slipway-apt';

/** Paths a bare host's root file system is made of (see bareHostMounts). */
export interface BareRoot {
  /** The shared Debian root file system (read-only lower layer of every bare host). */
  rootfs: string;
  /** The local apt repository the host installs from. */
  aptRepo: string;
}

/**
 * Gives a bare host a root file system of its own: an overlay on the shared Debian rootfs (upper layer
 * in the host's directory, so dpkg and apt change this host alone), with the machine's /dev and /sys,
 * a fresh /run, a private /var/lib/docker (overlay2 cannot stack on an overlay), the apt repository
 * read-only, then moved onto /: every later nsenter into the mount namespace lands in that root.
 * The host directory is bound at /mnt so no state dir path (which may hold commas) appears in the
 * overlay options.
 */
export function bareHostMounts(
  ns: HostNamespaces,
  paths: HostPaths,
  hostname: string,
  root: BareRoot,
): string[][] {
  const merged = join(paths.root, BARE_MERGED);
  const at = (p: string) => join(merged, p);
  const overlay = `lowerdir=${root.rootfs},upperdir=/mnt/${BARE_UPPER},workdir=/mnt/${BARE_WORK}`;
  const cmds: string[][] = [
    ['mount', '--bind', paths.root, '/mnt'],
    ['mount', '-t', 'overlay', '-o', overlay, 'slipway-root', merged],
    ['umount', '/mnt'],
    ['mount', '--rbind', '/dev', at('dev')],
    ['mount', '--rbind', '/sys', at('sys')],
    ['mount', '-t', 'tmpfs', '-o', 'mode=755', 'slipway-run', at('run')],
    ['mkdir', '-p', at('run/sshd'), at('run/lock'), at('var/lib/docker'), at(BARE_APT_DIR)],
    ['mount', '--bind', join(paths.root, BARE_DOCKER), at('var/lib/docker')],
    ['mount', '--bind', root.aptRepo, at(BARE_APT_DIR)],
    ['mount', '-o', 'remount,bind,ro', at(BARE_APT_DIR)],
    ['hostname', hostname],
    // Stacked on /: nsenter --mount resolves "/" down through the mounts on it, so it lands here.
    ['mount', '--move', merged, '/'],
  ];
  return cmds.map((argv) => inHostSetup(ns, argv));
}

/**
 * mmdebstrap of the bare hosts' Debian root file system into `dir`: minbase with sshd and python3 (for
 * Ansible). A hook downloads `packages` and their dependencies (what the infra pipeline will install)
 * into `debs` for the local apt repository, then points apt at that repository only: hosts have no
 * route to a Debian mirror.
 */
export function bareRootfsArgv(
  dir: string,
  debs: string,
  suite: string,
  packages: readonly string[],
): string[] {
  // The hooks are shell: the directory is the machine's cache path, quoted, and may not hold a quote.
  if (debs.includes("'")) throw new Error(`expected a repository path without quotes, got ${debs}`);
  const archives = '"$1"/var/cache/apt/archives';
  return [
    'mmdebstrap',
    '--quiet',
    '--variant=minbase',
    '--mode=root',
    '--include=openssh-server,python3',
    `--customize-hook=rm -f ${archives}/*.deb`,
    `--customize-hook=chroot "$1" apt-get install --download-only --yes --no-install-recommends ${packages.join(' ')}`,
    `--customize-hook=cp ${archives}/*.deb '${debs}'/`,
    `--customize-hook=echo 'deb [trusted=yes] file:${BARE_APT_DIR} ./' > "$1"/etc/apt/sources.list`,
    suite,
    dir,
    'http://deb.debian.org/debian',
  ];
}

/** Indexes the .deb files of the current directory as a flat apt repository (Packages on stdout). */
export function aptIndexArgv(): string[] {
  return ['dpkg-scanpackages', '--multiversion', '.', '/dev/null'];
}

/** Mounts a /proc showing only the host's processes (mounted from inside its PID namespace). */
export function procMount(ns: HostNamespaces): string[] {
  return inHost(ns, ['mount', '-t', 'proc', 'proc', '/proc']);
}

/** sshd in the foreground (so its pid is the one we started), logging to stderr. */
export function sshdArgv(): string[] {
  return ['/usr/sbin/sshd', '-D', '-e', '-o', 'PidFile=/run/sshd.pid'];
}

/** A host's dockerd with default paths (they are private to the host) and its own cgroup parent. */
export function dockerdArgv(host: HostPlan): string[] {
  return ['dockerd', '--cgroup-parent', host.cgroupParent, '--host', 'unix:///run/docker.sock'];
}

/** The runner side's dockerd, started only when none answers on the default socket. */
export function runnerDockerdArgv(): string[] {
  return ['dockerd', '--host', 'unix:///var/run/docker.sock'];
}

/** The registry serving with the given config file. */
export function registryArgv(configPath: string): string[] {
  return ['docker-registry', 'serve', configPath];
}

/** The sandbox's token service (a Node script beside this file) serving with the given config file. */
export function tokenServiceArgv(configPath: string, node = process.execPath): string[] {
  // This module's own extension: .ts in the sources, .js in the package's dist/.
  const here = fileURLToPath(import.meta.url);
  const script = join(dirname(here), `token-service-main${extname(here)}`);
  return [node, '--disable-warning=ExperimentalWarning', script, configPath];
}

/** A new ed25519 key pair without passphrase at `path` (and `path`.pub). */
export function keygenArgv(path: string, comment: string): string[] {
  return ['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path];
}

/** `openssl req` options for a fresh unencrypted P-256 key written to `key`. */
function newP256Key(key: string): string[] {
  return ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key];
}

/** A self-signed CA valid for ten years. */
export function caArgv(key: string, cert: string, cn: string): string[] {
  return [
    'openssl',
    'req',
    '-x509',
    ...newP256Key(key),
    '-out',
    cert,
    '-days',
    '3650',
    '-subj',
    `/CN=${cn}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ];
}

/** A server certificate for `ip`, signed by the CA (the CSR comes on stdin from serverCsrArgv). */
export function serverCsrArgv(key: string, ip: string): string[] {
  return ['openssl', 'req', '-new', ...newP256Key(key), '-subj', `/CN=${ip}`];
}

/** Signs the CSR read from stdin for `ip` with the CA; the extension file names the IP SAN. */
export function serverSignArgv(caKey: string, caCert: string, cert: string, extFile: string): string[] {
  return [
    'openssl',
    'x509',
    '-req',
    '-CA',
    caCert,
    '-CAkey',
    caKey,
    '-CAcreateserial',
    '-out',
    cert,
    '-days',
    '3650',
    '-extfile',
    extFile,
  ];
}

/** A bcrypt htpasswd line for `user`, the password read from stdin (never in argv). */
export function htpasswdArgv(user: string): string[] {
  return ['htpasswd', '-niB', user];
}

/** SSH options every sandbox connection uses: the instance key and strict host key checking. */
export function sshOptions(key: string, knownHosts: string): string[] {
  return [
    '-i',
    key,
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    `UserKnownHostsFile=${knownHosts}`,
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'BatchMode=yes',
    '-o',
    'ConnectTimeout=5',
  ];
}

/** ssh to `address` as `user` running `remote`; ssh joins its words for the remote shell, so pass fixed words only. */
export function sshArgv(
  key: string,
  knownHosts: string,
  user: string,
  address: string,
  remote: string[],
): string[] {
  return ['ssh', ...sshOptions(key, knownHosts), `${user}@${address}`, '--', ...remote];
}
