import { join } from 'node:path';

/** Directories of a host that start empty and are bind-mounted inside it (its /etc is an overlay instead). */
export const PRIVATE_DIRS = [
  { dir: 'root', target: '/root' },
  { dir: 'home', target: '/home' },
  { dir: 'srv', target: '/srv' },
  { dir: 'tmp', target: '/tmp' },
  { dir: 'var-log', target: '/var/log' },
  { dir: 'var-lib-docker', target: '/var/lib/docker' },
  { dir: 'var-lib-caddy', target: '/var/lib/caddy' },
] as const;

/** Upper and work directories of the host's /etc overlay (the machine's /etc is the lower layer). */
export const ETC_UPPER = 'etc-upper';
export const ETC_WORK = 'etc-work';

/**
 * A bare host's directory: the upper and work layers of its root overlay, the mount point of that
 * overlay and its /var/lib/docker.
 */
export const BARE_UPPER = 'root-upper';
export const BARE_WORK = 'root-work';
export const BARE_MERGED = 'root';
export const BARE_DOCKER = 'var-lib-docker';
/** Every directory a bare host's directory starts with. */
export const BARE_DIRS = [BARE_UPPER, BARE_WORK, BARE_MERGED, BARE_DOCKER] as const;

/** Where an instance keeps its files: everything lives under one state directory. */
export interface Layout {
  stateDir: string;
  stateFile: string;
  sshKey: string;
  knownHosts: string;
  /** Holds the namespace files; bind-mounted onto itself with private propagation. */
  nsDir: string;
  logsDir: string;
  registryDir: string;
  /** Docker CLI config used on the runner side to push the base image. */
  dockerConfigDir: string;
  /** Inventories root of a non-demo instance (the demo writes into the repo). */
  inventoriesDir: string;
}

/** The layout of the instance whose state directory is `stateDir`. */
export function layoutOf(stateDir: string): Layout {
  return {
    stateDir,
    stateFile: join(stateDir, 'state.json'),
    sshKey: join(stateDir, 'id_ed25519'),
    knownHosts: join(stateDir, 'known_hosts'),
    nsDir: join(stateDir, 'ns'),
    logsDir: join(stateDir, 'logs'),
    registryDir: join(stateDir, 'registry'),
    dockerConfigDir: join(stateDir, 'docker-config'),
    inventoriesDir: join(stateDir, 'inventories'),
  };
}

/** Paths of one host inside the instance layout. */
export interface HostPaths {
  root: string;
  mntNs: string;
  utsNs: string;
  pidNs: string;
  initLog: string;
  sshdLog: string;
  dockerdLog: string;
}

/** The paths of host `host` of the instance laid out as `layout`. */
export function hostPaths(layout: Layout, host: string): HostPaths {
  return {
    root: join(layout.stateDir, 'hosts', host),
    mntNs: join(layout.nsDir, `${host}.mnt`),
    utsNs: join(layout.nsDir, `${host}.uts`),
    pidNs: join(layout.nsDir, `${host}.pid`),
    initLog: join(layout.logsDir, `${host}-init.log`),
    sshdLog: join(layout.logsDir, `${host}-sshd.log`),
    dockerdLog: join(layout.logsDir, `${host}-dockerd.log`),
  };
}
