/**
 * `slipway sandbox up|down|status`: disposable local servers, one network + mount + UTS namespace each,
 * with their own sshd and dockerd, plus a TLS registry with htpasswd auth on the instance gateway.
 * `up` is idempotent and repairs what is missing; `down` undoes everything, also after a crash.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import {
  BASE_REPOSITORY,
  baseImageRef,
  DEBIAN_REPOSITORY,
  DEBIAN_SUITE,
  debianImageRef,
  imagePresent,
  seedBaseImage,
  seedDebianImage,
} from './base-image.ts';
import { inHost, keygenArgv, namespacesOf } from './commands.ts';
import { ensureRunnerDockerd, hostDockerId, startHostDockerd } from './dockerd.ts';
import { run } from './exec.ts';
import {
  createHostDirs,
  createNamespaces,
  ensureNsDir,
  hostView,
  namespacesAlive,
  prepareHostFiles,
  releaseNsDir,
  removeNamespaces,
} from './host-fs.ts';
import { renderKnownHosts, writeInventories } from './inventory.ts';
import { hostPaths, type Layout, layoutOf } from './layout.ts';
import {
  claimBridge,
  createHostNetwork,
  ensureBridge,
  existingBridges,
  hostNetworkHealthy,
  removeBridge,
  removeHostNetwork,
} from './network.ts';
import {
  checkInstanceName,
  DEFAULT_HOSTS,
  DEFAULT_INSTANCE,
  type HostPlan,
  pickIndex,
  planSandbox,
  type SandboxPlan,
} from './plan.ts';
import { currentMachine, preflight } from './preflight.ts';
import {
  findByCommandLine,
  findMembers,
  isAlive,
  killMembers,
  type Membership,
  namespaceId,
  type ProcRef,
  refOf,
  stopProcesses,
} from './processes.ts';
import {
  ensureRegistryFiles,
  readCredentials,
  registryFiles,
  registryHealthy,
  startRegistry,
  trustOnRunner,
  untrustOnRunner,
} from './registry.ts';
import { sshHealthy, startSshd } from './sshd.ts';
import { type HostProcs, readState, type SandboxState, takenIndexes, withLock, writeState } from './state.ts';

/** Raised when the machine cannot run the sandbox; nothing was created. */
export class SandboxPreflightError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(problems.join('\n'));
    this.problems = problems;
  }
}

/** Which instance of which repository. */
export interface SandboxTarget {
  repoRoot: string;
  name?: string;
}

/** Options of `up`. */
export interface UpOptions extends SandboxTarget {
  hosts?: readonly string[];
  /** Also build a Debian image with mmdebstrap and push it as <registry>/sandbox/debian:bookworm. */
  debian?: boolean;
  /** Progress lines. */
  log?: (line: string) => void;
}

/** One host as users and tests reach it. */
export interface SandboxHost {
  name: string;
  env: string;
  address: string;
  port: number;
  user: string;
}

/** Everything needed to use a running instance. */
export interface SandboxInfo {
  name: string;
  stateDir: string;
  hosts: SandboxHost[];
  sshKey: string;
  knownHosts: string;
  /** Root of the inventories: env X is `<inventoriesRoot>/X`. */
  inventoriesRoot: string;
  registry: {
    address: string;
    username: string;
    password: string;
    caCert: string;
    baseImage: string;
    /** Present when `up` was asked for it (`--debian`). */
    debianImage?: string;
  };
}

/** What `up` did. */
export interface UpReport {
  info: SandboxInfo;
  /** Milliseconds per phase, and `total`. */
  timings: Record<string, number>;
  repaired: string[];
}

/** Where every instance of a repository keeps its state. */
export function sandboxRoot(repoRoot: string): string {
  return join(repoRoot, '.slipway', 'sandbox');
}

function stateDirOf(t: SandboxTarget): string {
  return join(sandboxRoot(t.repoRoot), t.name ?? DEFAULT_INSTANCE);
}

function inventoriesRootOf(t: SandboxTarget, layout: Layout): string {
  return (t.name ?? DEFAULT_INSTANCE) === DEFAULT_INSTANCE
    ? join(t.repoRoot, 'inventories', 'sandbox')
    : layout.inventoriesDir;
}

function membership(host: HostPlan, layout: Layout): Membership {
  const paths = hostPaths(layout, host.name);
  const namespaces = [
    namespaceId('mnt', paths.mntNs),
    namespaceId('pid', paths.pidNs),
    namespaceId('net', `/run/netns/${host.netns}`),
  ].filter((n): n is string => n !== undefined);
  return { namespaces, cgroup: host.cgroupParent };
}

/** The instance index: 0 for the demo, the recorded one, or the first free one whose bridge we win. */
async function chooseIndex(
  t: SandboxTarget,
  stateDir: string,
  existing: SandboxState | undefined,
  hosts: readonly string[],
): Promise<number> {
  const name = t.name ?? DEFAULT_INSTANCE;
  if (name === DEFAULT_INSTANCE) return 0;
  if (existing) return existing.index;
  const taken = takenIndexes(sandboxRoot(t.repoRoot), name);
  for (const [index, owner] of await existingBridges()) if (owner !== stateDir) taken.add(index);
  for (;;) {
    const index = pickIndex(taken);
    if (await claimBridge(planSandbox(name, index, hosts), stateDir)) return index;
    taken.add(index);
  }
}

function lockFileOf(t: SandboxTarget): string {
  return join(sandboxRoot(t.repoRoot), `${t.name ?? DEFAULT_INSTANCE}.lock`);
}

async function checkMachine(extra: ReadonlyArray<{ program: string; pkg: string }> = []): Promise<void> {
  const problems = await preflight(currentMachine(), extra);
  if (problems.length > 0) throw new SandboxPreflightError(problems);
}

/** Brings up (or repairs) an instance and returns how to use it. */
export async function up(opts: UpOptions): Promise<UpReport> {
  const t0 = Date.now();
  await checkMachine(opts.debian ? [{ program: 'mmdebstrap', pkg: 'mmdebstrap' }] : []);
  checkInstanceName(opts.name ?? DEFAULT_INSTANCE);
  const report = await withLock(lockFileOf(opts), () => upLocked(opts, t0));
  report.timings['total'] = Date.now() - t0;
  return report;
}

async function upLocked(opts: UpOptions, t0: number): Promise<UpReport> {
  const log = opts.log ?? (() => {});
  const timings: Record<string, number> = { preflight: Date.now() - t0 };
  const mark = (phase: string, since: number) => {
    timings[phase] = Date.now() - since;
  };

  const name = opts.name ?? DEFAULT_INSTANCE;
  const stateDir = stateDirOf(opts);
  const layout = layoutOf(stateDir);
  const existing = readState(layout.stateFile);
  const hosts = [...(opts.hosts ?? existing?.hosts ?? DEFAULT_HOSTS)];
  const index = await chooseIndex(opts, stateDir, existing, hosts);
  const plan = planSandbox(name, index, hosts);
  const repaired: string[] = [];

  // Hosts dropped from the list go first, with the plan they were made with.
  if (existing) {
    const dropped = existing.hosts.filter((h) => !hosts.includes(h));
    if (dropped.length > 0) {
      const old = planSandbox(name, existing.index, existing.hosts);
      await Promise.all(
        old.hosts.filter((h) => dropped.includes(h.name)).map((h) => removeHost(h, layout, existing)),
      );
      log(`removed hosts ${dropped.join(', ')}`);
    }
  }
  const state: SandboxState = { version: 1, name, index, hosts, registry: existing?.registry, procs: {} };
  for (const h of hosts) state.procs[h] = existing?.procs[h] ?? {};
  const save = () => writeState(layout.stateFile, state);
  save();

  let since = Date.now();
  for (const d of [layout.logsDir, layout.registryDir]) mkdirSync(d, { recursive: true, mode: 0o700 });
  const runnerDocker = ensureRunnerDockerd(join(sandboxRoot(opts.repoRoot), 'runner-dockerd.log'));
  if (!existsSync(layout.sshKey)) await run(keygenArgv(layout.sshKey, `slipway-sandbox-${name}`));
  await ensureBridge(plan, stateDir);
  await ensureNsDir(layout);
  const regFiles = await ensureRegistryFiles(plan, layout);
  mark('prepare', since);

  since = Date.now();
  const authorizedKey = readFileSync(`${layout.sshKey}.pub`, 'utf8');
  const registryCa = readFileSync(regFiles.caCert, 'utf8');
  const hostKeys = await Promise.all(
    plan.hosts.map(async (host) => {
      const paths = hostPaths(layout, host.name);
      const procs = state.procs[host.name]!;
      const files = { hostname: host.name, authorizedKey, registryCa };
      if (!(await hostNetworkHealthy(host)) || !namespacesAlive(paths) || !isAlive(procs.init)) {
        if (existing?.hosts.includes(host.name)) repaired.push(`${host.name}: namespaces`);
        await killHostProcesses(host, layout, procs);
        await removeNamespaces(paths);
        await createHostNetwork(plan, host);
        await createHostDirs(paths);
        procs.init = await createNamespaces(host, paths);
        save();
        const hostKey = await prepareHostFiles(plan, await hostView(procs.init), files);
        await startDaemons(host, layout, procs, save, repaired, true);
        return hostKey;
      }
      const hostKey = await prepareHostFiles(plan, await hostView(procs.init!), files);
      await startDaemons(host, layout, procs, save, repaired, false);
      return hostKey;
    }),
  );
  writeFileSync(
    layout.knownHosts,
    renderKnownHosts(plan.hosts.map((h, i) => ({ address: h.address, hostKey: hostKeys[i]! }))),
  );
  mark('hosts', since);

  since = Date.now();
  if (!isAlive(state.registry) || !(await registryHealthy(plan, regFiles))) {
    if (existing) repaired.push('registry');
    await stopRegistry(state, regFiles.config);
    state.registry = await startRegistry(plan, regFiles);
    save();
  }
  trustOnRunner(plan, regFiles);
  mark('registry', since);

  since = Date.now();
  await runnerDocker;
  mark('runner-dockerd', since);
  since = Date.now();
  if (!(await imagePresent(plan, regFiles, BASE_REPOSITORY, 'latest'))) {
    log(`seeding ${baseImageRef(plan)}`);
    await seedBaseImage(plan, layout, regFiles);
  }
  mark('base-image', since);
  if (opts.debian && !(await imagePresent(plan, regFiles, DEBIAN_REPOSITORY, DEBIAN_SUITE))) {
    since = Date.now();
    log(`building ${debianImageRef(plan)} with mmdebstrap (downloads from the Debian mirror)`);
    await seedDebianImage(plan, layout, regFiles);
    mark('debian-image', since);
  }

  const inventoriesRoot = inventoriesRootOf(opts, layout);
  const ref = (p: string) => (name === DEFAULT_INSTANCE ? relative(opts.repoRoot, p) : p);
  writeInventories(inventoriesRoot, plan, {
    sshKey: ref(layout.sshKey),
    knownHosts: ref(layout.knownHosts),
    registryCa: ref(regFiles.caCert),
    registryCredentials: ref(regFiles.credentials),
  });
  save();
  const info = infoOf(opts, plan, layout);
  if (opts.debian) info.registry.debianImage = debianImageRef(plan);
  return { info, timings, repaired };
}

async function startDaemons(
  host: HostPlan,
  layout: Layout,
  procs: HostProcs,
  save: () => void,
  repaired: string[],
  fresh: boolean,
): Promise<void> {
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
  await Promise.all([sshd(), dockerd()]);
}

async function killHostProcesses(host: HostPlan, layout: Layout, procs: HostProcs): Promise<void> {
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

async function stopRegistry(state: SandboxState, config: string): Promise<void> {
  const stale = findByCommandLine((c) => c === `docker-registry serve ${config}`);
  await stopProcesses([state.registry, ...stale.map(refOf)].filter((r): r is ProcRef => r !== undefined));
  state.registry = undefined;
}

async function removeHost(host: HostPlan, layout: Layout, state: SandboxState): Promise<void> {
  await killHostProcesses(host, layout, state.procs[host.name] ?? {});
  const paths = hostPaths(layout, host.name);
  await removeNamespaces(paths);
  await removeHostNetwork(host);
  removeCgroups(host.cgroupParent);
  rmSync(paths.root, { recursive: true, force: true });
}

/** Removes the (empty, process-free) cgroup directories below `parent` in every hierarchy. */
function removeCgroups(parent: string): void {
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

/** The state of an instance that may have lost its state file: index and hosts recovered from the kernel and disk. */
async function recoverState(t: SandboxTarget, layout: Layout): Promise<SandboxState | undefined> {
  const state = readState(layout.stateFile);
  if (state) return state;
  const name = t.name ?? DEFAULT_INSTANCE;
  let index: number | undefined;
  for (const [i, owner] of await existingBridges()) if (owner === layout.stateDir) index = i;
  if (index === undefined && name === DEFAULT_INSTANCE) index = 0;
  if (index === undefined) return undefined;
  const hostsDir = join(layout.stateDir, 'hosts');
  const hosts = existsSync(hostsDir) ? readdirSync(hostsDir) : [];
  return { version: 1, name, index, hosts, procs: {} };
}

/** Removes everything the instance made: processes, namespaces, veths, bridge, mounts, its state dir. */
export async function down(t: SandboxTarget): Promise<{ removed: boolean }> {
  await checkMachine();
  checkInstanceName(t.name ?? DEFAULT_INSTANCE);
  return withLock(lockFileOf(t), () => downLocked(t));
}

async function downLocked(t: SandboxTarget): Promise<{ removed: boolean }> {
  const layout = layoutOf(stateDirOf(t));
  const state = await recoverState(t, layout);
  if (!state) {
    const existed = existsSync(layout.stateDir);
    await releaseNsDir(layout);
    rmSync(layout.stateDir, { recursive: true, force: true });
    return { removed: existed };
  }
  const plan = planSandbox(state.name, state.index, state.hosts.length > 0 ? state.hosts : ['none']);
  const hosts = state.hosts.length > 0 ? plan.hosts : [];
  await Promise.all(hosts.map((h) => removeHost(h, layout, state)));
  await stopRegistry(state, registryFiles(layout).config);
  await removeBridge(plan);
  untrustOnRunner(plan);
  await releaseNsDir(layout);
  rmSync(layout.stateDir, { recursive: true, force: true });
  removeCgroups(`/slipway/${state.name}`);
  return { removed: true };
}

function infoOf(t: SandboxTarget, plan: SandboxPlan, layout: Layout): SandboxInfo {
  const reg = registryFiles(layout);
  const creds = readCredentials(reg);
  return {
    name: plan.name,
    stateDir: layout.stateDir,
    hosts: plan.hosts.map((h) => ({ name: h.name, env: h.env, address: h.address, port: 22, user: 'root' })),
    sshKey: layout.sshKey,
    knownHosts: layout.knownHosts,
    inventoriesRoot: inventoriesRootOf(t, layout),
    registry: { address: plan.registry, ...creds, caCert: reg.caCert, baseImage: baseImageRef(plan) },
  };
}

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

/** Checks every host and component of an instance (ssh login, docker info, registry /v2/ with auth). */
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
      const id = nsOk && isAlive(procs.dockerd) ? await hostDockerId(h, paths) : undefined;
      const caddy = nsOk
        ? findByCommandLine((c) => /(^|\/)caddy /.test(c), findMembers(membership(h, layout)))
        : [];
      return {
        name: h.name,
        env: h.env,
        address: h.address,
        sshd: { ok: sshOk, detail: sshOk ? `pid ${procs.sshd!.pid}` : nsOk ? 'down' : 'namespace missing' },
        dockerd: { ok: id !== undefined, detail: id !== undefined ? `pid ${procs.dockerd!.pid}` : 'down' },
        caddy: { ok: caddy.length > 0, detail: caddy.length > 0 ? `pid ${caddy[0]}` : 'not running' },
      };
    }),
  );
  const reg = registryFiles(layout);
  const regOk = isAlive(state.registry) && (await registryHealthy(plan, reg));
  return {
    name,
    exists: true,
    healthy: regOk && hosts.every((h) => h.sshd.ok && h.dockerd.ok),
    hosts,
    registry: { address: plan.registry, ok: regOk, detail: regOk ? `pid ${state.registry!.pid}` : 'down' },
  };
}

function loadHost(t: SandboxTarget, host: string): { layout: Layout; state: SandboxState; plan: HostPlan } {
  const layout = layoutOf(stateDirOf(t));
  const state = readState(layout.stateFile);
  if (!state) throw new Error(`sandbox ${t.name ?? DEFAULT_INSTANCE} is not up`);
  const plan = planSandbox(state.name, state.index, state.hosts).hosts.find((x) => x.name === host);
  if (!plan) throw new Error(`sandbox ${state.name} has no host ${host}`);
  return { layout, state, plan };
}

/** Runs argv inside a host's namespaces (as its sshd sessions see the machine) and returns stdout. */
export async function execInHost(
  t: SandboxTarget,
  host: string,
  argv: readonly string[],
  opts: { input?: string } = {},
): Promise<string> {
  const { layout, plan } = loadHost(t, host);
  return run(inHost(namespacesOf(plan, hostPaths(layout, host)), argv), { timeoutMs: 300_000, ...opts });
}

/** Stops a host's sshd (to test unreachable hosts); `startHostSshd` or `up` brings it back. */
export async function stopHostSshd(t: SandboxTarget, host: string): Promise<void> {
  await withLock(lockFileOf(t), async () => {
    const { layout, state } = loadHost(t, host);
    const procs = state.procs[host] ?? {};
    await stopProcesses([procs.sshd].filter((r): r is ProcRef => r !== undefined));
    state.procs[host] = { ...procs, sshd: undefined };
    writeState(layout.stateFile, state);
  });
}

/** Starts a host's sshd again after `stopHostSshd`. */
export async function startHostSshd(t: SandboxTarget, host: string): Promise<void> {
  await withLock(lockFileOf(t), async () => {
    const { layout, state, plan } = loadHost(t, host);
    const procs = state.procs[host] ?? {};
    if (isAlive(procs.sshd)) return;
    state.procs[host] = { ...procs, sshd: await startSshd(plan, hostPaths(layout, host)) };
    writeState(layout.stateFile, state);
  });
}
