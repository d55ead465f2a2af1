/** `slipway sandbox status`: each host and component of an instance, with real health checks. */
import { hostDockerId } from './dockerd.ts';
import { namespacesAlive } from './host-fs.ts';
import { membership, type SandboxTarget, stateDirOf } from './instance.ts';
import { hostPaths, layoutOf } from './layout.ts';
import { hostNetworkHealthy } from './network.ts';
import { DEFAULT_INSTANCE, planSandbox } from './plan.ts';
import { findByCommandLine, findMembers, isAlive } from './processes.ts';
import { registryFiles, registryHealthy } from './registry.ts';
import { sshHealthy } from './sshd.ts';
import { readState } from './state.ts';

/** Health of one component. */
export interface Health {
  ok: boolean;
  detail: string;
}

/** Health of one host. */
export interface HostStatus {
  name: string;
  env: string;
  address: string;
  sshd: Health;
  dockerd: Health;
  caddy: Health;
}

/** What `status` reports. */
export interface StatusReport {
  name: string;
  exists: boolean;
  healthy: boolean;
  hosts: HostStatus[];
  registry?: Health & { address: string };
}

/**
 * Checks every host and component of an instance (ssh login, docker info, registry /v2/ with auth); a
 * thin instance has no dockerd and no registry to check.
 */
export async function status(t: SandboxTarget): Promise<StatusReport> {
  const name = t.name ?? DEFAULT_INSTANCE;
  const layout = layoutOf(stateDirOf(t));
  const state = readState(layout.stateFile);
  if (!state) return { name, exists: false, healthy: false, hosts: [] };
  const plan = planSandbox(state.name, state.index, state.hosts);
  const hosts = await Promise.all(
    plan.hosts.map(async (h): Promise<HostStatus> => {
      const procs = state.procs[h.name] ?? {};
      const paths = hostPaths(layout, h.name);
      const nsOk = namespacesAlive(paths) && isAlive(procs.init) && (await hostNetworkHealthy(h));
      const sshOk = nsOk && isAlive(procs.sshd) && (await sshHealthy(h, layout.sshKey, layout.knownHosts));
      const id = nsOk && (state.bare || isAlive(procs.dockerd)) ? await hostDockerId(h, paths) : undefined;
      const dockerd: Health = state.thin
        ? { ok: true, detail: 'none (thin host)' }
        : state.bare
          ? { ok: true, detail: id !== undefined ? 'installed on the host' : 'none yet, bare host' }
          : { ok: id !== undefined, detail: id !== undefined ? `pid ${procs.dockerd!.pid}` : 'down' };
      const caddy = nsOk
        ? findByCommandLine((c) => /(^|\/)caddy /.test(c), findMembers(membership(h, layout)))
        : [];
      return {
        name: h.name,
        env: h.env,
        address: h.address,
        sshd: { ok: sshOk, detail: sshOk ? `pid ${procs.sshd!.pid}` : nsOk ? 'down' : 'namespace missing' },
        dockerd,
        caddy: { ok: caddy.length > 0, detail: caddy.length > 0 ? `pid ${caddy[0]}` : 'not running' },
      };
    }),
  );
  if (state.thin) return { name, exists: true, healthy: hosts.every((h) => h.sshd.ok), hosts };
  const reg = registryFiles(layout);
  const tokenOk = state.registryAuth !== 'token' || isAlive(state.tokenService);
  const regOk = tokenOk && isAlive(state.registry) && (await registryHealthy(plan, reg));
  const detail = `pid ${state.registry?.pid}, ${state.registryAuth === 'token' ? `token auth (token service pid ${state.tokenService?.pid})` : 'basic auth'}`;
  return {
    name,
    exists: true,
    healthy: regOk && hosts.every((h) => h.sshd.ok && h.dockerd.ok),
    hosts,
    registry: { address: plan.registry, ok: regOk, detail: regOk ? detail : 'down' },
  };
}
