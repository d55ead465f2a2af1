/** The Ansible inventories of a sandbox instance: one per environment, every host also in group `web`. */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { type HostPlan, hostsByEnv, type SandboxPlan } from './plan.ts';

const MARKER = '# Written by `slipway sandbox up`';

/** Paths the inventory refers to, as they should appear in it (repo-relative or absolute). */
export interface InventoryRefs {
  sshKey: string;
  knownHosts: string;
  /** The registry's CA and login; absent for thin hosts (sshd only, no registry). */
  registry?: { ca: string; credentials: string };
  /** Bare hosts (own Debian rootfs, sshd only): the infra pipeline installs Docker there (roles/docker_host). */
  bare?: boolean;
}

/**
 * Host vars of a bare host for roles/docker_host: the daemon.json that puts the host's containers under
 * its cgroup parent (where `sandbox down` finds them), and dockerd started without Debian's init script,
 * whose `ulimit -n 1048576` fails where the hard limit is lower and CAP_SYS_RESOURCE is missing (a
 * sandbox run inside a container, as on the development machine).
 */
export function bareHostVars(host: HostPlan): Record<string, unknown> {
  return {
    docker_host_daemon_json: { 'cgroup-parent': host.cgroupParent },
    docker_host_supervisor: 'start-stop-daemon',
  };
}

/** hosts.yml of one environment (the schema comment is for editors; it points at the repo's schemas/). */
export function renderHostsYml(
  plan: SandboxPlan,
  hosts: readonly HostPlan[],
  thin = false,
  bare = false,
): string {
  const entries = Object.fromEntries(
    hosts.map((h) => [
      h.name,
      { ansible_host: h.address, ansible_port: 22, ansible_user: 'root', ...(bare ? bareHostVars(h) : {}) },
    ]),
  );
  const what = bare
    ? 'bare namespace hosts on their own Debian rootfs, sshd only (the infra pipeline installs Docker and Caddy)'
    : thin
      ? 'thin namespace hosts, sshd only'
      : 'namespace hosts with their own sshd, dockerd and caddy';
  return `# yaml-language-server: $schema=../../../schemas/inventory.schema.json
${MARKER} (instance ${plan.name}): ${what}.
${stringify({ all: { children: { web: { hosts: entries } } } })}`;
}

// Single quotes survive the shlex split Ansible applies to ssh args; a quote inside is closed, escaped, reopened.
const shlexQuote = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`;

/**
 * group_vars/all.yml of every environment: how to reach the hosts and the registry. The known_hosts file is
 * named twice: `slipway_known_hosts` for Slipway, and `-o UserKnownHostsFile` in `ansible_ssh_common_args`,
 * so that plain `ansible` and `ansible-playbook` check host keys against the same file.
 */
export function renderGroupVars(plan: SandboxPlan, refs: InventoryRefs): string {
  return `# yaml-language-server: $schema=../../../../schemas/vars.schema.json
${MARKER} (instance ${plan.name}): how to reach its hosts${refs.registry ? ' and its registry' : ''}.
${stringify({
  ansible_ssh_private_key_file: refs.sshKey,
  ansible_python_interpreter: '/usr/bin/python3',
  slipway_known_hosts: refs.knownHosts,
  ansible_ssh_common_args: `-o UserKnownHostsFile=${shlexQuote(refs.knownHosts)}`,
  ...(refs.registry
    ? {
        slipway_registry: plan.registry,
        slipway_registry_ca: refs.registry.ca,
        slipway_registry_credentials: refs.registry.credentials,
      }
    : {}),
})}`;
}

/** Writes `<root>/<env>/hosts.yml` and `group_vars/all.yml` per environment; drops envs it wrote before that are gone. */
export function writeInventories(root: string, plan: SandboxPlan, refs: InventoryRefs): string[] {
  const envs = hostsByEnv(plan);
  if (existsSync(root)) {
    for (const env of readdirSync(root)) {
      const file = join(root, env, 'hosts.yml');
      if (!envs.has(env) && existsSync(file) && readFileSync(file, 'utf8').includes(MARKER)) {
        rmSync(join(root, env), { recursive: true, force: true });
      }
    }
  }
  const written: string[] = [];
  for (const [env, hosts] of envs) {
    mkdirSync(join(root, env, 'group_vars'), { recursive: true });
    writeFileSync(join(root, env, 'hosts.yml'), renderHostsYml(plan, hosts, !refs.registry, refs.bare));
    writeFileSync(join(root, env, 'group_vars', 'all.yml'), renderGroupVars(plan, refs));
    written.push(join(root, env));
  }
  return written;
}

/** known_hosts lines: one per host, `address keytype key`. */
export function renderKnownHosts(entries: ReadonlyArray<{ address: string; hostKey: string }>): string {
  return entries.map((e) => `${e.address} ${e.hostKey}\n`).join('');
}
