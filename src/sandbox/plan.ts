/**
 * The sandbox's addressing plan: pure, so names and addresses can be unit-tested and recomputed
 * identically by `up`, `down` and `status` from the instance name, its index and its host names.
 */

/** Host names used when `sandbox up` is given no `--hosts`: prod has two, to show a rollout across hosts. */
export const DEFAULT_HOSTS = ['dev1', 'prod1', 'prod2'] as const;
/** The instance the CLI and the demo use by default; it always gets index 0 (10.207.0.0/24). */
export const DEFAULT_INSTANCE = 'demo';
/** Port of each instance's registry, on the instance's gateway address. */
export const REGISTRY_PORT = 5000;
/** Port of the token service of a registry in token mode, on the same address. */
export const TOKEN_PORT = 5001;
/** Highest instance index: the third octet of 10.207.X.0/24. */
export const MAX_INDEX = 254;

const NAME_RE = /^[a-z][a-z0-9-]{0,19}$/;
const HOST_RE = /^[a-z][a-z0-9-]{0,29}$/;

/** One sandbox host as planned: its names in the kernel and its address. */
export interface HostPlan {
  name: string;
  /** Environment (inventory) the host belongs to: as its entry says (`env:name`), else dev*, prod*, otherwise "test". */
  env: string;
  address: string;
  /** Network namespace name (under /run/netns). */
  netns: string;
  /** Root-namespace end of the host's veth pair (attached to the bridge). */
  veth: string;
  /** Cgroup parent of the host's containers, also used to find leftover processes. */
  cgroupParent: string;
}

/** A whole sandbox instance as planned. */
export interface SandboxPlan {
  name: string;
  index: number;
  subnet: string;
  gateway: string;
  bridge: string;
  registry: string;
  hosts: HostPlan[];
}

/** Throws unless `name` can be an instance name (it becomes part of kernel object names). */
export function checkInstanceName(name: string): void {
  if (!NAME_RE.test(name)) {
    throw new Error(`invalid sandbox name "${name}": use 1-20 of a-z, 0-9 and "-", starting with a letter`);
  }
}

/** A `--hosts` entry: `name` (its environment from the name, see envOf) or `env:name`. */
export function parseHostEntry(entry: string): { name: string; env: string } {
  const at = entry.indexOf(':');
  if (at < 0) return { name: entry, env: envOf(entry) };
  return { name: entry.slice(at + 1), env: entry.slice(0, at) };
}

/** The host names of `--hosts` entries, in order. */
export function hostNames(entries: readonly string[]): string[] {
  return entries.map((e) => parseHostEntry(e).name);
}

/** Throws unless every host entry has a valid name (and environment) and names are unique. */
export function checkHostNames(hosts: readonly string[]): void {
  if (hosts.length === 0) throw new Error('a sandbox needs at least one host');
  const seen = new Set<string>();
  for (const entry of hosts) {
    const { name: h, env } = parseHostEntry(entry);
    if (!HOST_RE.test(h)) {
      throw new Error(`invalid host name "${h}": use 1-30 of a-z, 0-9 and "-", starting with a letter`);
    }
    if (!HOST_RE.test(env)) {
      throw new Error(
        `invalid environment "${env}" in "${entry}": expected env:host, the env 1-30 of a-z, 0-9 and "-", starting with a letter`,
      );
    }
    if (seen.has(h)) throw new Error(`host "${h}" is listed twice`);
    seen.add(h);
  }
}

/** The environment a host name implies: dev1 -> dev, prod2 -> prod, anything else -> test. */
export function envOf(host: string): string {
  const m = /^(dev|prod)\d*$/.exec(host);
  return m ? m[1]! : 'test';
}

/** Last octet per host: devN -> 10+N, prodN -> 20+N (N 1..9), the others from 31 in order. */
export function lastOctets(hosts: readonly string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const h of hosts) {
    const m = /^(dev|prod)([1-9])$/.exec(h);
    if (m) out.set(h, (m[1] === 'dev' ? 10 : 20) + Number(m[2]));
  }
  let next = 31;
  for (const h of hosts) {
    if (out.has(h)) continue;
    if (next > 254) throw new Error('too many hosts for one sandbox (at most 224 besides dev1-9/prod1-9)');
    out.set(h, next++);
  }
  return out;
}

/** The full plan of instance `name` with index `index` (third octet) and the given host entries (`name` or `env:name`). */
export function planSandbox(name: string, index: number, hosts: readonly string[]): SandboxPlan {
  checkInstanceName(name);
  checkHostNames(hosts);
  if (!Number.isInteger(index) || index < 0 || index > MAX_INDEX) {
    throw new Error(`sandbox index ${index} is out of range 0..${MAX_INDEX}`);
  }
  const octets = lastOctets(hostNames(hosts));
  const prefix = `10.207.${index}`;
  return {
    name,
    index,
    subnet: `${prefix}.0/24`,
    gateway: `${prefix}.1`,
    // Interface names must fit IFNAMSIZ (15 chars): "slipway254" and "slw254h254" do.
    bridge: `slipway${index}`,
    registry: `${prefix}.1:${REGISTRY_PORT}`,
    hosts: hosts.map((entry) => {
      const { name: h, env } = parseHostEntry(entry);
      const octet = octets.get(h)!;
      return {
        name: h,
        env,
        address: `${prefix}.${octet}`,
        netns: `slipway-${name}-${h}`,
        veth: `slw${index}h${octet}`,
        cgroupParent: `/slipway/${name}/${h}`,
      };
    }),
  };
}

/** Hosts grouped by environment, in plan order. */
export function hostsByEnv(plan: SandboxPlan): Map<string, HostPlan[]> {
  const out = new Map<string, HostPlan[]>();
  for (const h of plan.hosts) {
    const list = out.get(h.env) ?? [];
    list.push(h);
    out.set(h.env, list);
  }
  return out;
}

/** Smallest free index for a new non-demo instance, given the indexes already taken. */
export function pickIndex(taken: ReadonlySet<number>): number {
  for (let i = 1; i <= MAX_INDEX; i++) if (!taken.has(i)) return i;
  throw new Error('no free sandbox index left (10.207.1-254.0/24 all in use)');
}
