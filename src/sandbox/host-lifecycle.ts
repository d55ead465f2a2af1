/** Starting, repairing and removing one host's processes, namespaces and files. */
import { existsSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { inHost, namespacesOf } from './commands.ts';
import { hostDockerId, startHostDockerd } from './dockerd.ts';
import { run } from './exec.ts';
import { removeNamespaces } from './host-fs.ts';
import { membership } from './instance.ts';
import { hostPaths, type Layout } from './layout.ts';
import { removeHostNetwork } from './network.ts';
import type { HostPlan } from './plan.ts';
import {
  findByCommandLine,
  findMembers,
  isAlive,
  killMembers,
  type ProcRef,
  refOf,
  stopProcesses,
} from './processes.ts';
import { sshHealthy, startSshd } from './sshd.ts';
import type { HostProcs, SandboxState } from './state.ts';

/**
 * Starts the host's sshd and (unless `thin`) dockerd, or only those not healthy when `fresh` is false
 * (noting repairs).
 */
export async function startDaemons(
  host: HostPlan,
  layout: Layout,
  procs: HostProcs,
  save: () => void,
  repaired: string[],
  opts: { fresh: boolean; thin: boolean },
): Promise<void> {
  const { fresh } = opts;
  const paths = hostPaths(layout, host.name);
  const members = () => findMembers(membership(host, layout));
  const sshd = async () => {
    if (!fresh && isAlive(procs.sshd) && (await sshHealthy(host, layout.sshKey, layout.knownHosts))) return;
    if (!fresh) repaired.push(`${host.name}: sshd`);
    // A listener left from a crashed run would hold port 22; its sessions may stay.
    const stale = findByCommandLine(
      (c) => c.startsWith('sshd: /usr/sbin/sshd') && c.includes('[listener]'),
      members(),
    );
    await stopProcesses([procs.sshd, ...stale.map(refOf)].filter((r): r is ProcRef => r !== undefined));
    procs.sshd = await startSshd(host, paths);
    save();
  };
  const dockerd = async () => {
    if (!fresh && isAlive(procs.dockerd) && (await hostDockerId(host, paths)) !== undefined) return;
    if (!fresh) repaired.push(`${host.name}: dockerd`);
    const stale = findByCommandLine(
      (c) => c.startsWith('dockerd ') || c.startsWith('containerd --config'),
      members(),
    );
    await stopProcesses([procs.dockerd, ...stale.map(refOf)].filter((r): r is ProcRef => r !== undefined));
    // A killed daemon may linger as a zombie that still "owns" its pid file, and dockerd would wait on it.
    await run(
      inHost(namespacesOf(host, paths), [
        'rm',
        '-f',
        '/run/docker.pid',
        '/run/docker/containerd/containerd.pid',
      ]),
    );
    procs.dockerd = await startHostDockerd(host, paths);
    save();
  };
  await Promise.all(opts.thin ? [sshd()] : [sshd(), dockerd()]);
}

/** Kills every process of the host. */
export async function killHostProcesses(host: HostPlan, layout: Layout, procs: HostProcs): Promise<void> {
  // No SIGTERM first: the host's namespaces go away with its processes, so no container state needs
  // to survive, and a graceful dockerd stop takes seconds (10 s per running container).
  // Killing the init holder ends the PID namespace and with it every process of the host; the rest
  // (nsenter wrappers in the machine's PID namespace, strays) is found by namespace and cgroup.
  await stopProcesses(
    [procs.init, procs.dockerd, procs.sshd].filter((r): r is ProcRef => r !== undefined),
    0,
  );
  await killMembers(membership(host, layout));
  procs.init = undefined;
  procs.dockerd = undefined;
  procs.sshd = undefined;
}

/** Removes a host: processes, namespaces, network, cgroups and files. */
export async function removeHost(host: HostPlan, layout: Layout, state: SandboxState): Promise<void> {
  await killHostProcesses(host, layout, state.procs[host.name] ?? {});
  const paths = hostPaths(layout, host.name);
  await removeNamespaces(paths);
  await removeHostNetwork(host);
  removeCgroups(host.cgroupParent);
  rmSync(paths.root, { recursive: true, force: true });
}

/** Removes the (empty, process-free) cgroup directories below `parent` in every hierarchy. */
export function removeCgroups(parent: string): void {
  let hierarchies: string[];
  try {
    hierarchies = readdirSync('/sys/fs/cgroup');
  } catch {
    return;
  }
  const removeTree = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true }))
      if (e.isDirectory()) removeTree(join(dir, e.name));
    try {
      rmdirSync(dir);
    } catch {
      // Still in use, or not a cgroup directory.
    }
  };
  for (const h of hierarchies) removeTree(join('/sys/fs/cgroup', h, parent));
}
