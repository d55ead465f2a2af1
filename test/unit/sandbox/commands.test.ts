import { describe, expect, it } from 'vitest';
import {
  aptIndexArgv,
  bareHostMounts,
  bareRootfsArgv,
  dockerdArgv,
  forwardRules,
  hostInitArgv,
  hostMounts,
  hostNetworkCreate,
  inHost,
  inHostSetup,
  namespacesCreate,
  procMount,
  sshArgv,
  sshdArgv,
  tokenServiceArgv,
} from '../../../src/sandbox/commands.ts';
import { hostPaths, layoutOf } from '../../../src/sandbox/layout.ts';
import { planSandbox } from '../../../src/sandbox/plan.ts';

const plan = planSandbox('e2e', 3, ['h1']);
const host = plan.hosts[0]!;
const paths = hostPaths(layoutOf('/repo/.slipway/sandbox/e2e'), 'h1');
const ns = { mntNs: paths.mntNs, utsNs: paths.utsNs, pidNs: paths.pidNs, netns: host.netns };

describe('sandbox command builders', () => {
  it('enters a host with nsenter, never `ip netns exec`, including its PID namespace once it exists', () => {
    const enter = [
      'nsenter',
      '--mount=/repo/.slipway/sandbox/e2e/ns/h1.mnt',
      '--uts=/repo/.slipway/sandbox/e2e/ns/h1.uts',
      '--net=/run/netns/slipway-e2e-h1',
    ];
    expect(inHost(ns, ['docker', 'info'])).toEqual([
      ...enter,
      '--pid=/repo/.slipway/sandbox/e2e/ns/h1.pid',
      '--',
      'docker',
      'info',
    ]);
    expect(inHostSetup(ns, ['hostname', 'h1'])).toEqual([...enter, '--', 'hostname', 'h1']);
  });

  it('holds the PID namespace with a reaping shell as init, killed with its holder', () => {
    expect(hostInitArgv(ns).slice(5)).toEqual([
      'unshare',
      '--pid',
      '--kill-child',
      '--',
      '/bin/sh',
      '-c',
      'while :; do sleep 3600 & wait; done',
    ]);
    expect(procMount(ns).slice(-6)).toEqual(['--', 'mount', '-t', 'proc', 'proc', '/proc']);
  });

  it('creates the host network: netns, veth on the bridge, eth0 with the planned address', () => {
    expect(hostNetworkCreate(plan, host)).toEqual([
      ['ip', 'netns', 'add', 'slipway-e2e-h1'],
      ['ip', 'link', 'add', 'slw3h31', 'type', 'veth', 'peer', 'name', 'slw3h31p'],
      ['ip', 'link', 'set', 'slw3h31p', 'netns', 'slipway-e2e-h1'],
      ['ip', 'link', 'set', 'slw3h31', 'master', 'slipway3'],
      ['ip', 'link', 'set', 'slw3h31', 'up'],
      ['ip', '-n', 'slipway-e2e-h1', 'link', 'set', 'slw3h31p', 'name', 'eth0'],
      ['ip', '-n', 'slipway-e2e-h1', 'addr', 'add', '10.207.3.31/24', 'dev', 'eth0'],
      ['ip', '-n', 'slipway-e2e-h1', 'link', 'set', 'eth0', 'up'],
      ['ip', '-n', 'slipway-e2e-h1', 'link', 'set', 'lo', 'up'],
      ['ip', '-n', 'slipway-e2e-h1', 'route', 'add', 'default', 'via', '10.207.3.1'],
    ]);
  });

  it('lets hosts talk across the bridge but opens no new connection off it; both rules tagged', () => {
    expect(forwardRules(plan, '-I')).toEqual([
      [
        'iptables',
        '-w',
        '-I',
        'FORWARD',
        '-i',
        'slipway3',
        '-o',
        'slipway3',
        '-m',
        'comment',
        '--comment',
        'slipway:e2e',
        '-j',
        'ACCEPT',
      ],
      [
        'iptables',
        '-w',
        '-I',
        'FORWARD',
        '-i',
        'slipway3',
        '!',
        '-o',
        'slipway3',
        '-m',
        'conntrack',
        '!',
        '--ctstate',
        'RELATED,ESTABLISHED',
        '-m',
        'comment',
        '--comment',
        'slipway:e2e',
        '-j',
        'DROP',
      ],
    ]);
  });

  it('binds the mount and UTS namespaces onto files', () => {
    expect(namespacesCreate(paths)).toEqual([
      'unshare',
      '--mount=/repo/.slipway/sandbox/e2e/ns/h1.mnt',
      '--uts=/repo/.slipway/sandbox/e2e/ns/h1.uts',
      '--propagation',
      'private',
      'true',
    ]);
  });

  it('mounts /etc as an overlay and every private dir from the staging bind at /mnt, then a tmpfs /run and the hostname', () => {
    const inner = hostMounts(ns, paths, 'h1').map((argv) => argv.slice(argv.indexOf('--') + 1));
    expect(inner[0]).toEqual(['mount', '--bind', '/repo/.slipway/sandbox/e2e/hosts/h1', '/mnt']);
    expect(inner[1]).toEqual([
      'mount',
      '-t',
      'overlay',
      '-o',
      'lowerdir=/etc,upperdir=/mnt/etc-upper,workdir=/mnt/etc-work',
      'slipway-etc',
      '/etc',
    ]);
    expect(inner).toContainEqual(['mount', '--bind', '/mnt/root', '/root']);
    expect(inner).toContainEqual(['mount', '--bind', '/mnt/var-lib-docker', '/var/lib/docker']);
    expect(inner).toContainEqual(['mount', '--bind', '/mnt/var-lib-caddy', '/var/lib/caddy']);
    const umount = inner.findIndex((a) => a[0] === 'umount');
    expect(inner.slice(umount)).toEqual([
      ['umount', '/mnt'],
      ['mount', '-t', 'tmpfs', '-o', 'mode=755', 'slipway-run', '/run'],
      ['mkdir', '-p', '/run/sshd', '/run/lock'],
      ['hostname', 'h1'],
    ]);
    expect(inner.slice(2, umount).every((a) => a[0] === 'mkdir' || a[2]!.startsWith('/mnt/'))).toBe(true);
  });

  it('gives a bare host its own root: an overlay on the shared rootfs, moved onto / after its mounts', () => {
    const root = { rootfs: '/cache/bare/rootfs', aptRepo: '/cache/bare/apt' };
    const cmds = bareHostMounts(ns, paths, 'h1', root);
    // Every step runs in the host's mount and UTS namespaces (no PID namespace yet).
    for (const argv of cmds)
      expect(argv.slice(0, argv.indexOf('--'))).toEqual(inHostSetup(ns, []).slice(0, -1));
    const r = '/repo/.slipway/sandbox/e2e/hosts/h1/root';
    expect(cmds.map((argv) => argv.slice(argv.indexOf('--') + 1))).toEqual([
      ['mount', '--bind', '/repo/.slipway/sandbox/e2e/hosts/h1', '/mnt'],
      [
        'mount',
        '-t',
        'overlay',
        '-o',
        'lowerdir=/cache/bare/rootfs,upperdir=/mnt/root-upper,workdir=/mnt/root-work',
        'slipway-root',
        r,
      ],
      ['umount', '/mnt'],
      ['mount', '--rbind', '/dev', `${r}/dev`],
      ['mount', '--rbind', '/sys', `${r}/sys`],
      ['mount', '-t', 'tmpfs', '-o', 'mode=755', 'slipway-run', `${r}/run`],
      ['mkdir', '-p', `${r}/run/sshd`, `${r}/run/lock`, `${r}/var/lib/docker`, `${r}/var/lib/slipway-apt`],
      ['mount', '--bind', '/repo/.slipway/sandbox/e2e/hosts/h1/var-lib-docker', `${r}/var/lib/docker`],
      ['mount', '--bind', '/cache/bare/apt', `${r}/var/lib/slipway-apt`],
      ['mount', '-o', 'remount,bind,ro', `${r}/var/lib/slipway-apt`],
      ['hostname', 'h1'],
      ['mount', '--move', r, '/'],
    ]);
  });

  it('builds the bare rootfs with mmdebstrap, downloading what the infra pipeline installs into the apt repository', () => {
    expect(bareRootfsArgv('/c/rootfs', '/c/apt', 'bookworm', ['docker.io', 'caddy'])).toEqual([
      'mmdebstrap',
      '--quiet',
      '--variant=minbase',
      '--mode=root',
      '--include=openssh-server,python3',
      '--customize-hook=rm -f "$1"/var/cache/apt/archives/*.deb',
      '--customize-hook=chroot "$1" apt-get install --download-only --yes --no-install-recommends docker.io caddy',
      `--customize-hook=cp "$1"/var/cache/apt/archives/*.deb '/c/apt'/`,
      `--customize-hook=echo 'deb [trusted=yes] file:/var/lib/slipway-apt ./' > "$1"/etc/apt/sources.list`,
      'bookworm',
      '/c/rootfs',
      'http://deb.debian.org/debian',
    ]);
    expect(aptIndexArgv()).toEqual(['dpkg-scanpackages', '--multiversion', '.', '/dev/null']);
  });

  it('runs sshd in the foreground and dockerd with its own cgroup parent', () => {
    expect(sshdArgv()).toEqual(['/usr/sbin/sshd', '-D', '-e', '-o', 'PidFile=/run/sshd.pid']);
    expect(dockerdArgv(host)).toEqual([
      'dockerd',
      '--cgroup-parent',
      '/slipway/e2e/h1',
      '--host',
      'unix:///run/docker.sock',
    ]);
  });

  it('connects with the instance key and strict host key checking', () => {
    expect(sshArgv('/k', '/kh', 'root', '10.207.3.31', ['true'])).toEqual([
      'ssh',
      '-i',
      '/k',
      '-o',
      'IdentitiesOnly=yes',
      '-o',
      'UserKnownHostsFile=/kh',
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      'BatchMode=yes',
      '-o',
      'ConnectTimeout=5',
      'root@10.207.3.31',
      '--',
      'true',
    ]);
  });

  it('runs the token service as a Node script beside the sandbox code, its config the one argument', () => {
    const script = new URL('../../../src/sandbox/token-service-main.ts', import.meta.url).pathname;
    expect(tokenServiceArgv('/state/registry/token-service.json', '/opt/node')).toEqual([
      '/opt/node',
      '--disable-warning=ExperimentalWarning',
      script,
      '/state/registry/token-service.json',
    ]);
  });
});
