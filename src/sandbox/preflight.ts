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

/** Where `program` is on PATH (plus the sbin dirs, which a non-login root shell may lack), if anywhere. */
export function which(program: string): string | undefined {
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter), '/usr/local/sbin', '/usr/sbin', '/sbin'];
  for (const d of dirs) {
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
export async function preflight(): Promise<string[]> {
  if (process.platform !== 'linux') {
    return [`slipway sandbox needs Linux (network and mount namespaces); this is ${process.platform}`];
  }
  const problems: string[] = [];
  if (process.getuid?.() !== 0) {
    problems.push('slipway sandbox must run as root (it creates namespaces, bridges and mounts): use sudo');
  }
  const missing = REQUIRED_PROGRAMS.filter((p) => which(p.program) === undefined);
  const pkgs = missing.map((m) => m.pkg);
  // A dynamically linked busybox cannot run in an image without a libc.
  const ldd = which('ldd') ? await tryRun(['ldd', BUSYBOX_STATIC]) : undefined;
  if (!isExecutable(BUSYBOX_STATIC) || ldd?.ok) pkgs.push('busybox-static');
  if (pkgs.length > 0) {
    const what = [
      ...missing.map((m) => m.program),
      ...(pkgs.includes('busybox-static') ? ['busybox (static)'] : []),
    ];
    problems.push(`missing: ${what.join(', ')}. Install with: ${installCommand(pkgs)}`);
  }
  return problems;
}
