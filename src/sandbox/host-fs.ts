/**
 * A host's private file system view: a mount namespace (and UTS namespace for its hostname) bound
 * onto files, in which per-host copies of /etc, /root, /home, /srv, /tmp, /var/log, /var/lib/docker and
 * /var/lib/caddy are mounted and /run is a fresh tmpfs. sshd and dockerd start inside it, so remote
 * sessions (useradd, authorized_keys, docker, docker-compose, caddy) see the host's own files. A bare
 * host has a whole root of its own instead (an overlay on a Debian rootfs: commands.ts bareHostMounts).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type BareRoot,
  bareHostMounts,
  hostInitArgv,
  hostMounts,
  inHost,
  keygenArgv,
  namespacesCreate,
  namespacesOf,
  procMount,
} from './commands.ts';
import { run, runAll, spawnDaemon, tryRun } from './exec.ts';
import type { HostPaths, Layout } from './layout.ts';
import { BARE_DIRS, ETC_UPPER, ETC_WORK, PRIVATE_DIRS } from './layout.ts';
import type { HostPlan, SandboxPlan } from './plan.ts';
import { firstChild, type ProcRef, refOf } from './processes.ts';

/** Mount points of this process's mount namespace, with their file system type. */
function mountPoints(): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const parts = line.split(' ');
    const sep = parts.indexOf('-');
    if (sep < 0) continue;
    // Mount points escape spaces and the like as octal.
    out.set(
      parts[4]!.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8))),
      parts[sep + 1]!,
    );
  }
  return out;
}

/** Bind-mounts the namespace directory onto itself, private, so namespace files can be bound in it. */
export async function ensureNsDir(layout: Layout): Promise<void> {
  mkdirSync(layout.nsDir, { recursive: true, mode: 0o700 });
  if (mountPoints().has(layout.nsDir)) return;
  await run(['mount', '--bind', layout.nsDir, layout.nsDir]);
  await run(['mount', '--make-private', layout.nsDir]);
}

/** Unmounts the namespace directory (after every host's namespace files are gone). */
export async function releaseNsDir(layout: Layout): Promise<void> {
  const mounts = mountPoints();
  for (const [path, type] of mounts) {
    if (type === 'nsfs' && path.startsWith(`${layout.nsDir}/`)) await tryRun(['umount', path]);
  }
  if (mounts.has(layout.nsDir)) await tryRun(['umount', layout.nsDir]);
}

/** True when the host's mount, UTS and PID namespaces are bound onto their files. */
export function namespacesAlive(paths: HostPaths): boolean {
  const mounts = mountPoints();
  return [paths.mntNs, paths.utsNs, paths.pidNs].every((f) => mounts.get(f) === 'nsfs');
}

/** What a host's /etc and /root get on top of the machine's. */
export interface HostFiles {
  hostname: string;
  /** Public key of the runner, authorized for root. */
  authorizedKey: string;
  /** CA certificate the host's dockerd trusts for the registry (none on a thin host: no dockerd, no registry). */
  registryCa?: string;
}

/**
 * Creates the host's (empty) private directories and its /etc overlay layers unless they exist; for a
 * bare host, the layers of its root overlay and its /var/lib/docker instead.
 */
export async function createHostDirs(paths: HostPaths, bare: boolean): Promise<void> {
  if (bare) {
    for (const d of BARE_DIRS) {
      mkdirSync(join(paths.root, d), { recursive: true, mode: 0o755 });
    }
    return;
  }
  if (existsSync(join(paths.root, ETC_WORK))) return;
  for (const d of [...PRIVATE_DIRS.map((p) => p.dir), ETC_UPPER, ETC_WORK]) {
    mkdirSync(join(paths.root, d), { recursive: true, mode: 0o755 });
  }
  await run(['chmod', '1777', join(paths.root, 'tmp')]);
  await run(['chmod', '0700', join(paths.root, 'root')]);
}

/** The host's file system as its processes see it, reachable from the machine through its init. */
export async function hostView(init: ProcRef): Promise<string> {
  return `/proc/${await firstChild(init.pid)}/root`;
}

/**
 * Gives the host its identity and access, writing through its own view (`view`, see hostView) so the
 * /etc overlay records every change: its own SSH host key and machine-id (not the machine's), hostname
 * and /etc/hosts, the runner's key for root, trust in the registry CA. Returns its SSH host public key.
 */
export async function prepareHostFiles(plan: SandboxPlan, view: string, files: HostFiles): Promise<string> {
  const etc = join(view, 'etc');
  const hostKey = join(etc, 'ssh', 'ssh_host_ed25519_key');
  if (
    !existsSync(`${hostKey}.pub`) ||
    readFileSync(`${hostKey}.pub`, 'utf8').trim().split(' ')[2] !== `root@${files.hostname}`
  ) {
    for (const f of ['ssh_host_rsa_key', 'ssh_host_ecdsa_key', 'ssh_host_ed25519_key']) {
      rmSync(join(etc, 'ssh', f), { force: true });
      rmSync(join(etc, 'ssh', `${f}.pub`), { force: true });
    }
    // Identities must not be shared: dockerd derives its ID from key.json, systemd-style tools use machine-id.
    rmSync(join(etc, 'docker', 'key.json'), { force: true });
    rmSync(join(etc, 'docker', 'certs.d'), { recursive: true, force: true });
    writeFileSync(join(etc, 'machine-id'), `${randomBytes(16).toString('hex')}\n`);
    await run(keygenArgv(hostKey, `root@${files.hostname}`));
  }
  writeFileSync(join(etc, 'hostname'), `${files.hostname}\n`);
  const others = plan.hosts.map((h) => `${h.address}\t${h.name}`).join('\n');
  writeFileSync(join(etc, 'hosts'), `127.0.0.1\tlocalhost\n${others}\n`);
  const ssh = join(view, 'root', '.ssh');
  mkdirSync(ssh, { recursive: true, mode: 0o700 });
  const authorized = join(ssh, 'authorized_keys');
  const current = existsSync(authorized) ? readFileSync(authorized, 'utf8') : '';
  if (!current.includes(files.authorizedKey.trim())) {
    writeFileSync(authorized, `${current}${files.authorizedKey.trim()}\n`, { mode: 0o600 });
  }
  if (files.registryCa !== undefined) {
    const certs = join(etc, 'docker', 'certs.d', plan.registry);
    mkdirSync(certs, { recursive: true });
    writeFileSync(join(certs, 'ca.crt'), files.registryCa);
  }
  return readFileSync(`${hostKey}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ');
}

/**
 * Creates the host's namespaces: mount and UTS (bound onto files, with its private directories mounted,
 * or for a bare host its own root file system), then a PID namespace whose init is held by the returned
 * process, with a /proc of its own.
 */
export async function createNamespaces(host: HostPlan, paths: HostPaths, bare?: BareRoot): Promise<ProcRef> {
  await removeNamespaces(paths);
  for (const f of [paths.mntNs, paths.utsNs, paths.pidNs]) writeFileSync(f, '');
  await run(namespacesCreate(paths));
  const ns = namespacesOf(host, paths);
  await runAll(bare ? bareHostMounts(ns, paths, host.name, bare) : hostMounts(ns, paths, host.name));
  const holder = refOf(spawnDaemon(hostInitArgv(ns), paths.initLog));
  if (!holder) throw new Error(`the init of ${host.name} exited at once; see ${paths.initLog}`);
  const init = await firstChild(holder.pid);
  await run(['mount', '--bind', `/proc/${init}/ns/pid`, paths.pidNs]);
  await run(procMount(ns));
  return holder;
}

/** Starts a long-lived program inside all the host's namespaces; returns the program's own process. */
export async function startInHost(
  host: HostPlan,
  paths: HostPaths,
  argv: readonly string[],
  log: string,
): Promise<ProcRef> {
  const nsenter = spawnDaemon(inHost(namespacesOf(host, paths), argv), log);
  const ref = refOf(await firstChild(nsenter));
  if (!ref) throw new Error(`${argv[0]} on ${host.name} exited at once; see ${log}`);
  return ref;
}

/** Unbinds the host's namespace files (the namespaces die with their last process) and deletes them. */
export async function removeNamespaces(paths: HostPaths): Promise<void> {
  const mounts = mountPoints();
  for (const f of [paths.mntNs, paths.utsNs, paths.pidNs]) {
    if (mounts.has(f)) await run(['umount', f]);
    rmSync(f, { force: true });
  }
}
