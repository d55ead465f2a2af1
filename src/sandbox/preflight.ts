import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { tryRun } from './exec.ts';

/** Programs the sandbox runs, with the Debian package that provides each. */
export const REQUIRED_PROGRAMS: ReadonlyArray<{ program: string; pkg: string }> = [
  { program: 'ip', pkg: 'iproute2' },
  { program: 'iptables', pkg: 'iptables' },
  { program: 'nsenter', pkg: 'util-linux' },
  { program: 'unshare', pkg: 'util-linux' },
  { program: 'mount', pkg: 'mount' },
  { program: 'sshd', pkg: 'openssh-server' },
  { program: 'ssh', pkg: 'openssh-client' },
  { program: 'ssh-keygen', pkg: 'openssh-client' },
  { program: 'dockerd', pkg: 'docker.io' },
  { program: 'docker', pkg: 'docker.io' },
  { program: 'docker-registry', pkg: 'docker-registry' },
  { program: 'htpasswd', pkg: 'apache2-utils' },
  { program: 'openssl', pkg: 'openssl' },
];

/** The statically linked busybox the base image is made of. */
export const BUSYBOX_STATIC = '/bin/busybox';

/** What preflight looks at; the current machine by default. */
export interface Machine {
  platform: string;
  uid: number | undefined;
  /** Directories searched for programs. */
  searchPath: string[];
  /** The busybox binary that must be statically linked. */
  busybox: string;
}

/** The machine this process runs on (PATH plus the sbin dirs, which a non-login root shell may lack). */
export function currentMachine(): Machine {
  return {
    platform: process.platform,
    uid: process.getuid?.(),
    searchPath: [...(process.env['PATH'] ?? '').split(delimiter), '/usr/local/sbin', '/usr/sbin', '/sbin'],
    busybox: BUSYBOX_STATIC,
  };
}

/** Where `program` is in `searchPath`, if anywhere. */
export function which(program: string, searchPath = currentMachine().searchPath): string | undefined {
  for (const d of searchPath) {
    if (!d) continue;
    if (isExecutable(join(d, program))) return join(d, program);
  }
  return undefined;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The exact command that installs `pkgs`. */
export function installCommand(pkgs: readonly string[]): string {
  return `apt-get update && apt-get install -y ${[...new Set(pkgs)].sort().join(' ')}`;
}

/** Problems that stop the sandbox from starting, each with how to fix it; empty when all is well. */
export async function preflight(
  m: Machine = currentMachine(),
  extra: ReadonlyArray<{ program: string; pkg: string }> = [],
): Promise<string[]> {
  if (m.platform !== 'linux') {
    return [`slipway sandbox needs Linux (network and mount namespaces); this is ${m.platform}`];
  }
  const problems: string[] = [];
  if (m.uid !== 0) {
    problems.push(
      'slipway sandbox must run as root (it creates namespaces, bridges and mounts): sudo slipway sandbox ...',
    );
  }
  const missing = [...REQUIRED_PROGRAMS, ...extra].filter(
    (p) => which(p.program, m.searchPath) === undefined,
  );
  const pkgs = missing.map((p) => p.pkg);
  // A dynamically linked busybox cannot run in an image without a libc; ldd fails on a static one.
  const ldd = which('ldd', m.searchPath);
  if (!isExecutable(m.busybox) || (ldd !== undefined && (await tryRun([ldd, m.busybox])).ok)) {
    pkgs.push('busybox-static');
  }
  if (pkgs.length > 0) {
    const what = [
      ...missing.map((p) => p.program),
      ...(pkgs.includes('busybox-static') ? ['static busybox'] : []),
    ];
    problems.push(`missing: ${what.join(', ')}. Install with: ${installCommand(pkgs)}`);
  }
  return problems;
}
