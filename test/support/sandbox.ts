/**
 * The e2e fixture: real sandbox hosts (network + mount namespaces with their own sshd and dockerd)
 * and the instance registry, made by the same code as `slipway sandbox up`.
 *
 *   const sb = await useSandbox({ name: 'e2e', hosts: ['h1', 'h2', 'h3'] });  // in beforeAll
 *   sb.hosts[0]            // { name: 'h1', env: 'test', address: '10.207.N.31', port: 22, user: 'root' }
 *   sb.sshKey, sb.knownHosts          // ed25519 key authorized for root; known_hosts with every host key
 *   sb.inventoriesRoot                // <root>/<env>/hosts.yml (+ group_vars/all.yml): use as --inventories
 *   sb.registry                       // { address: '10.207.N.1:5000', auth, username, password, caCert, baseImage }
 *   await sb.exec('h1', ['cat', '/etc/passwd'])      // runs in the host's namespaces, returns stdout
 *   await sb.stopSshd('h2'); ...; await sb.startSshd('h2')   // an unreachable host, then back
 *   await sb.down()                   // removes the instance (processes, namespaces, mounts, files)
 *
 * An instance that is already up is reused when healthy (about a second) and repaired otherwise (`up`
 * is idempotent), so test files share it; e2e files run one at a time. Pass `fresh: true` to start from
 * clean hosts (down, then up: a few seconds). Instances stay up after the run for the next file; CI
 * tears them down with `slipway sandbox down --name NAME`. Host names: devN/prodN land in envs
 * dev/prod, any other name in env "test". Needs root on Linux (see `slipway sandbox up` errors).
 * Hosts have no route off their /24: containers and hosts reach each other, the runner and the registry.
 */
import { fileURLToPath } from 'node:url';
import { execInHost, startHostSshd, stopHostSshd } from '../../src/sandbox/host-control.ts';
import type { SandboxTarget } from '../../src/sandbox/instance.ts';
import type { RegistryAuth } from '../../src/sandbox/registry.ts';
import { down, type SandboxInfo, up } from '../../src/sandbox/sandbox.ts';

/** Root of this checkout: instances live in its .slipway/sandbox/. */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Options of `useSandbox`. */
export interface UseSandboxOptions {
  /** Instance name (default "e2e"); distinct names are distinct, concurrently running instances. */
  name?: string;
  /** Host names (default h1, h2, h3). */
  hosts?: string[];
  /** Start from clean hosts instead of reusing the running instance. */
  fresh?: boolean;
  /** Also seed the PostgreSQL image (built once per machine, on the sandbox's Debian image). */
  postgres?: boolean;
  /** How the registry authenticates (default basic): `token` puts it behind the sandbox's token service. */
  registryAuth?: RegistryAuth;
  /** Bare hosts: their own Debian rootfs with sshd only; the infra pipeline installs Docker and Caddy. */
  bare?: boolean;
}

/** A running sandbox instance and the means to act on its hosts. */
export interface SandboxFixture extends SandboxInfo {
  /** Runs argv inside the host's namespaces (what its sshd sessions see) and returns stdout; throws on failure. */
  exec(host: string, argv: readonly string[], opts?: { input?: string }): Promise<string>;
  /** Stops the host's sshd (connections are refused) until `startSshd` or the next `useSandbox`. */
  stopSshd(host: string): Promise<void>;
  /** Starts the host's sshd again. */
  startSshd(host: string): Promise<void>;
  /** Removes the whole instance. */
  down(): Promise<void>;
}

/** Brings up (or reuses, or repairs) a sandbox instance for a test file. */
export async function useSandbox(opts: UseSandboxOptions = {}): Promise<SandboxFixture> {
  const target: SandboxTarget = { repoRoot: REPO_ROOT, name: opts.name ?? 'e2e' };
  if (opts.fresh) await down(target);
  const { info } = await up({
    ...target,
    hosts: opts.hosts ?? ['h1', 'h2', 'h3'],
    ...(opts.postgres ? { postgres: true } : {}),
    ...(opts.registryAuth ? { registryAuth: opts.registryAuth } : {}),
    ...(opts.bare ? { bare: true } : {}),
  });
  return {
    ...info,
    exec: (host, argv, o) => execInHost(target, host, argv, o),
    stopSshd: (host) => stopHostSshd(target, host),
    startSshd: (host) => startHostSshd(target, host),
    down: async () => {
      await down(target);
    },
  };
}
