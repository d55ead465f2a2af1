/**
 * `slipway sandbox up|down`: disposable local servers, each with its own network, mount, UTS and PID
 * namespaces, sshd and dockerd, plus a TLS registry on the instance gateway (htpasswd auth, or Bearer
 * tokens from a local token service with `registryAuth: 'token'`). Thin instances (`upThin`,
 * `sandbox up --thin`) have hosts with sshd only and no registry; bare ones (`bare`, `sandbox up --bare`)
 * have hosts on their own Debian rootfs with sshd only, and the registry (see bare-rootfs.ts).
 * `up` is idempotent and repairs what is missing; `down` undoes everything, also after a crash.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ensureBareRoot } from './bare-rootfs.ts';
import {
  BASE_REPOSITORY,
  baseImageRef,
  DEBIAN_REPOSITORY,
  DEBIAN_SUITE,
  debianImageRef,
  imagePresent,
  POSTGRES_REPOSITORY,
  POSTGRES_TAG,
  postgresImageRef,
  seedBaseImage,
  seedDebianImage,
  seedPostgresImage,
} from './base-image.ts';
import { mapBounded } from './bounded.ts';
import { type BareRoot, keygenArgv } from './commands.ts';
import { ensureRunnerDockerd } from './dockerd.ts';
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
import { killHostProcesses, removeCgroups, removeHost, startDaemons } from './host-lifecycle.ts';
import {
  checkMachine,
  inventoriesRootOf,
  lockFileOf,
  type SandboxTarget,
  sandboxRoot,
  stateDirOf,
} from './instance.ts';
import { type InventoryRefs, renderKnownHosts, writeInventories } from './inventory.ts';
import { hostPaths, type Layout, layoutOf } from './layout.ts';
import {
  claimBridge,
  createHostNetwork,
  ensureBridge,
  existingBridges,
  hostNetworkHealthy,
  linkAlias,
  removeBridge,
} from './network.ts';
import {
  checkInstanceName,
  DEFAULT_HOSTS,
  DEFAULT_INSTANCE,
  hostNames,
  pickIndex,
  planSandbox,
  type SandboxPlan,
} from './plan.ts';
import { findByCommandLine, isAlive, type ProcRef, refOf, stopProcesses } from './processes.ts';
import {
  ensureRegistryFiles,
  type RegistryAuth,
  type RegistryFiles,
  readCredentials,
  registryFiles,
  registryHealthy,
  startRegistry,
  startTokenService,
  trustOnRunner,
  untrustOnRunner,
} from './registry.ts';
import { readState, type SandboxState, takenIndexes, withLock, writeState } from './state.ts';

/** Options of `up`. */
export interface UpOptions extends SandboxTarget {
  hosts?: readonly string[];
  /** Also build a Debian image with mmdebstrap and push it as <registry>/sandbox/debian:bookworm. */
  debian?: boolean;
  /** Also build PostgreSQL 15 on that Debian image and push it as <registry>/sandbox/postgres:15. */
  postgres?: boolean;
  /** How the registry authenticates (default basic); a change restarts the registry in the new mode. */
  registryAuth?: RegistryAuth;
  /**
   * Bare hosts: each on its own Debian rootfs (mmdebstrap, cached per machine) with sshd only, installing
   * from a local apt repository, so the infra pipeline installs Docker and Caddy there (roles/docker_host).
   */
  bare?: boolean;
  /** Progress lines. */
  log?: (line: string) => void;
}

/** Options of `upThin`: hosts only, so no images. */
export type ThinUpOptions = Omit<UpOptions, 'debian' | 'postgres' | 'registryAuth' | 'bare'>;

/** One host as users and tests reach it. */
export interface SandboxHost {
  name: string;
  /** Network namespace (under /run/netns) the host lives in. */
  netns: string;
  env: string;
  address: string;
  port: number;
  user: string;
}

/** How to reach the hosts of a running instance (all a thin instance has). */
export interface SandboxHostsInfo {
  name: string;
  stateDir: string;
  hosts: SandboxHost[];
  sshKey: string;
  knownHosts: string;
  /** Root of the inventories: env X is `<inventoriesRoot>/X`. */
  inventoriesRoot: string;
}

/** Everything needed to use a running (full) instance: its hosts and its registry. */
export interface SandboxInfo extends SandboxHostsInfo {
  registry: {
    address: string;
    /** `basic` (htpasswd) or `token` (Bearer challenge, tokens from the sandbox's token service). */
    auth: RegistryAuth;
    username: string;
    password: string;
    caCert: string;
    baseImage: string;
    /** Present when `up` was asked for it (`--debian`). */
    debianImage?: string;
    /** Present when `up` was asked for it (`--postgres`). */
    postgresImage?: string;
  };
}

/** What `up` (or `upThin`) did. */
export interface UpReport<I extends SandboxHostsInfo = SandboxInfo> {
  info: I;
  /** Milliseconds per phase, and `total`. */
  timings: Record<string, number>;
  repaired: string[];
}

/** Hosts started at once: each start is a few dozen short processes, and 200 at once would starve sshd's first accept. */
const HOST_START_PARALLEL = 16;

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

/** Brings up (or repairs) a full instance: hosts with sshd and dockerd, the registry and its images. */
export async function up(opts: UpOptions): Promise<UpReport> {
  const t0 = Date.now();
  const needs = opts.debian || opts.postgres || opts.bare;
  await checkMachine(
    needs
      ? [
          { program: 'mmdebstrap', pkg: 'mmdebstrap' },
          ...(opts.bare ? [{ program: 'dpkg-scanpackages', pkg: 'dpkg-dev' }] : []),
        ]
      : [],
  );
  checkInstanceName(opts.name ?? DEFAULT_INSTANCE);
  const report = await withLock(lockFileOf(opts), () => upFull(opts, t0));
  report.timings['total'] = Date.now() - t0;
  return report;
}

/**
 * Brings up (or repairs) a thin instance: hosts with sshd only, no dockerd and no registry, so that a
 * fleet of 200 fits on a small machine (for infra pipelines: keys, files, Ansible).
 */
export async function upThin(opts: ThinUpOptions): Promise<UpReport<SandboxHostsInfo>> {
  const t0 = Date.now();
  await checkMachine();
  checkInstanceName(opts.name ?? DEFAULT_INSTANCE);
  const report = await withLock(lockFileOf(opts), async () => {
    const inst = await openInstance(opts, 'thin', t0);
    await startHosts(inst, undefined);
    writeInventories(inventoriesRootOf(opts, inst.layout), inst.plan, inventoryRefs(opts, inst.layout));
    inst.save();
    return {
      info: hostsInfoOf(opts, inst.plan, inst.layout),
      timings: inst.timings,
      repaired: inst.repaired,
    };
  });
  report.timings['total'] = Date.now() - t0;
  return report;
}

/** An instance being brought up: its plan, files and state, and what was repaired and how long each phase took. */
interface OpenInstance {
  plan: SandboxPlan;
  layout: Layout;
  existing: SandboxState | undefined;
  state: SandboxState;
  save: () => void;
  flavour: Flavour;
  repaired: string[];
  timings: Record<string, number>;
  /** Records the milliseconds since `since` as phase `phase`. */
  mark: (phase: string, since: number) => void;
  log: (line: string) => void;
}

/** Full hosts (sshd, dockerd), thin ones (sshd only, no registry) or bare ones (own rootfs, sshd only). */
type Flavour = 'full' | 'thin' | 'bare';

const flavourOf = (s: SandboxState): Flavour => (s.thin ? 'thin' : s.bare ? 'bare' : 'full');

/** Claims the instance's bridge, drops hosts no longer listed, records the state and makes the instance key. */
async function openInstance(opts: ThinUpOptions, flavour: Flavour, t0: number): Promise<OpenInstance> {
  const timings: Record<string, number> = { preflight: Date.now() - t0 };
  const mark = (phase: string, since: number) => {
    timings[phase] = Date.now() - since;
  };
  const log = opts.log ?? (() => {});
  const name = opts.name ?? DEFAULT_INSTANCE;
  const stateDir = stateDirOf(opts);
  const layout = layoutOf(stateDir);
  const existing = readState(layout.stateFile);
  if (existing && flavourOf(existing) !== flavour) {
    const flags = name === DEFAULT_INSTANCE ? '' : ` --name ${name}`;
    throw new Error(
      `sandbox ${name} is up with ${flavourOf(existing)} hosts, expected ${flavour} ones: ` +
        `take it down first (slipway sandbox down${flags})`,
    );
  }
  const hosts = [...(opts.hosts ?? existing?.hosts ?? DEFAULT_HOSTS)];
  const index = await chooseIndex(opts, stateDir, existing, hosts);
  const plan = planSandbox(name, index, hosts);
  // Claimed before anything is recorded: an instance of the same name in another checkout keeps its hosts.
  await ensureBridge(plan, stateDir);

  // Hosts dropped from the list go first, with the plan they were made with.
  if (existing) {
    // By name: a host moved to another environment keeps its namespaces, only the inventories change.
    const dropped = hostNames(existing.hosts).filter((h) => !hostNames(hosts).includes(h));
    if (dropped.length > 0) {
      const old = planSandbox(name, existing.index, existing.hosts);
      await Promise.all(
        old.hosts.filter((h) => dropped.includes(h.name)).map((h) => removeHost(h, layout, existing)),
      );
      log(`removed hosts ${dropped.join(', ')}`);
    }
  }
  const state: SandboxState = {
    version: 1,
    name,
    index,
    hosts,
    ...(flavour === 'thin' ? { thin: true } : {}),
    ...(flavour === 'bare' ? { bare: true } : {}),
    registry: existing?.registry,
    registryAuth: existing?.registryAuth,
    tokenService: existing?.tokenService,
    procs: {},
  };
  for (const h of hostNames(hosts)) state.procs[h] = existing?.procs[h] ?? {};
  const save = () => writeState(layout.stateFile, state);
  save();

  const since = Date.now();
  mkdirSync(layout.logsDir, { recursive: true, mode: 0o700 });
  if (!existsSync(layout.sshKey)) await run(keygenArgv(layout.sshKey, `slipway-sandbox-${name}`));
  await ensureNsDir(layout);
  mark('prepare', since);
  return { plan, layout, existing, state, save, flavour, repaired: [], timings, mark, log };
}

/**
 * Starts (or repairs) every host, a bounded number at a time, and writes known_hosts with their keys;
 * `registryCa` is what the hosts' dockerd trusts (undefined for thin hosts), `bare` the root bare hosts
 * are made of.
 */
async function startHosts(
  inst: OpenInstance,
  registryCa: string | undefined,
  bare?: BareRoot,
): Promise<void> {
  const since = Date.now();
  const { plan, layout, existing, state, save, repaired } = inst;
  // Bare hosts start with sshd only: their dockerd is the one the infra pipeline installs.
  const thin = inst.flavour !== 'full';
  const authorizedKey = readFileSync(`${layout.sshKey}.pub`, 'utf8');
  const hostKeys = await mapBounded(plan.hosts, HOST_START_PARALLEL, async (host) => {
    const paths = hostPaths(layout, host.name);
    const procs = state.procs[host.name]!;
    const files = { hostname: host.name, authorizedKey, ...(registryCa ? { registryCa } : {}) };
    if (!(await hostNetworkHealthy(host)) || !namespacesAlive(paths) || !isAlive(procs.init)) {
      if (existing && hostNames(existing.hosts).includes(host.name))
        repaired.push(`${host.name}: namespaces`);
      await killHostProcesses(host, layout, procs);
      await removeNamespaces(paths);
      await createHostNetwork(plan, host);
      await createHostDirs(paths, bare !== undefined);
      procs.init = await createNamespaces(host, paths, bare);
      save();
      const hostKey = await prepareHostFiles(plan, await hostView(procs.init), files);
      await startDaemons(host, layout, procs, save, repaired, { fresh: true, thin });
      return hostKey;
    }
    const hostKey = await prepareHostFiles(plan, await hostView(procs.init!), files);
    await startDaemons(host, layout, procs, save, repaired, { fresh: false, thin });
    return hostKey;
  });
  writeFileSync(
    layout.knownHosts,
    renderKnownHosts(plan.hosts.map((h, i) => ({ address: h.address, hostKey: hostKeys[i]! }))),
  );
  inst.mark('hosts', since);
}

/** Paths the inventories name: repo-relative for the demo (it lives in the repo), absolute otherwise. */
function inventoryRefs(t: SandboxTarget, layout: Layout, reg?: RegistryFiles, bare?: boolean): InventoryRefs {
  const ref = (p: string) =>
    (t.name ?? DEFAULT_INSTANCE) === DEFAULT_INSTANCE ? relative(t.repoRoot, p) : p;
  return {
    sshKey: ref(layout.sshKey),
    knownHosts: ref(layout.knownHosts),
    ...(reg ? { registry: { ca: ref(reg.caCert), credentials: ref(reg.credentials) } } : {}),
    ...(bare ? { bare } : {}),
  };
}

async function upFull(opts: UpOptions, t0: number): Promise<UpReport> {
  const inst = await openInstance(opts, opts.bare ? 'bare' : 'full', t0);
  const { plan, layout, state, save, repaired, mark, log, existing } = inst;
  let since = Date.now();
  mkdirSync(layout.registryDir, { recursive: true, mode: 0o700 });
  // Started now, awaited before the base image needs it; its error is kept, not left unhandled, meanwhile.
  const runnerDocker = ensureRunnerDockerd(join(sandboxRoot(opts.repoRoot), 'runner-dockerd.log')).then(
    () => undefined,
    (err: unknown) => err,
  );
  const registryAuth = opts.registryAuth ?? 'basic';
  const regFiles = await ensureRegistryFiles(plan, layout, registryAuth);
  mark('registry-files', since);

  let bare: BareRoot | undefined;
  if (opts.bare) {
    since = Date.now();
    bare = await ensureBareRoot(log);
    mark('bare-rootfs', since);
  }
  await startHosts(inst, readFileSync(regFiles.caCert, 'utf8'), bare);

  since = Date.now();
  const repair = (what: string) => {
    if (existing) repaired.push(what);
  };
  await ensureRegistry(plan, regFiles, state, registryAuth, repair, save);
  trustOnRunner(plan, regFiles);
  mark('registry', since);

  since = Date.now();
  const runnerDockerError = await runnerDocker;
  if (runnerDockerError) throw runnerDockerError;
  mark('runner-dockerd', since);
  since = Date.now();
  if (!(await imagePresent(plan, regFiles, BASE_REPOSITORY, 'latest'))) {
    log(`seeding ${baseImageRef(plan)}`);
    await seedBaseImage(plan, layout, regFiles);
  }
  mark('base-image', since);
  if (opts.debian && !(await imagePresent(plan, regFiles, DEBIAN_REPOSITORY, DEBIAN_SUITE))) {
    since = Date.now();
    log(`seeding ${debianImageRef(plan)}`);
    await seedDebianImage(plan, layout, regFiles, log);
    mark('debian-image', since);
  }
  if (opts.postgres && !(await imagePresent(plan, regFiles, POSTGRES_REPOSITORY, POSTGRES_TAG))) {
    since = Date.now();
    log(`seeding ${postgresImageRef(plan)}`);
    await seedPostgresImage(plan, layout, regFiles, log);
    mark('postgres-image', since);
  }

  writeInventories(inventoriesRootOf(opts, layout), plan, inventoryRefs(opts, layout, regFiles, opts.bare));
  save();
  const info = infoOf(opts, plan, layout, registryAuth);
  if (opts.debian) info.registry.debianImage = debianImageRef(plan);
  if (opts.postgres) info.registry.postgresImage = postgresImageRef(plan);
  return { info, timings: inst.timings, repaired };
}

/** Starts the registry (and in token mode its token service) unless it runs healthy in `mode` already. */
async function ensureRegistry(
  plan: SandboxPlan,
  files: RegistryFiles,
  state: SandboxState,
  mode: RegistryAuth,
  repaired: (what: string) => void,
  save: () => void,
): Promise<void> {
  const sameMode = (state.registryAuth ?? 'basic') === mode;
  const tokenOk = mode === 'basic' || isAlive(state.tokenService);
  if (sameMode && tokenOk && isAlive(state.registry) && (await registryHealthy(plan, files))) return;
  if (sameMode) repaired('registry');
  await stopRegistry(state, files);
  state.registryAuth = mode;
  if (mode === 'token') state.tokenService = await startTokenService(plan, files);
  state.registry = await startRegistry(plan, files);
  save();
}

/** Stops the registry and its token service, also ones a lost state file no longer names. */
async function stopRegistry(state: SandboxState, files: RegistryFiles): Promise<void> {
  const stale = findByCommandLine(
    (c) =>
      c === `docker-registry serve ${files.config}` ||
      c.endsWith(`token-service-main.ts ${files.tokenConfig}`),
  );
  const refs = [state.registry, state.tokenService, ...stale.map(refOf)];
  await stopProcesses(refs.filter((r): r is ProcRef => r !== undefined));
  state.registry = undefined;
  state.tokenService = undefined;
}

/** The state of an instance that may have lost its state file: index and hosts recovered from the kernel and disk. */
async function recoverState(t: SandboxTarget, layout: Layout): Promise<SandboxState | undefined> {
  const state = readState(layout.stateFile);
  if (state) return state;
  if (!existsSync(layout.stateDir)) return undefined;
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
  const owner = await linkAlias(plan.bridge);
  if (owner !== undefined && owner !== layout.stateDir) {
    // Host names are per instance name, so they would be another checkout's hosts: leave them alone.
    await releaseNsDir(layout);
    rmSync(layout.stateDir, { recursive: true, force: true });
    return { removed: true };
  }
  const hosts = state.hosts.length > 0 ? plan.hosts : [];
  await Promise.all(hosts.map((h) => removeHost(h, layout, state)));
  await stopRegistry(state, registryFiles(layout));
  await removeBridge(plan);
  untrustOnRunner(plan);
  await releaseNsDir(layout);
  rmSync(layout.stateDir, { recursive: true, force: true });
  removeCgroups(`/slipway/${state.name}`);
  return { removed: true };
}

function hostsInfoOf(t: SandboxTarget, plan: SandboxPlan, layout: Layout): SandboxHostsInfo {
  return {
    name: plan.name,
    stateDir: layout.stateDir,
    hosts: plan.hosts.map((h) => ({
      name: h.name,
      netns: h.netns,
      env: h.env,
      address: h.address,
      port: 22,
      user: 'root',
    })),
    sshKey: layout.sshKey,
    knownHosts: layout.knownHosts,
    inventoriesRoot: inventoriesRootOf(t, layout),
  };
}

function infoOf(t: SandboxTarget, plan: SandboxPlan, layout: Layout, auth: RegistryAuth): SandboxInfo {
  const reg = registryFiles(layout);
  const creds = readCredentials(reg);
  return {
    ...hostsInfoOf(t, plan, layout),
    registry: { address: plan.registry, auth, ...creds, caCert: reg.caCert, baseImage: baseImageRef(plan) },
  };
}
