/**
 * `slipway sandbox up|down`: disposable local servers, each with its own network, mount, UTS and PID
 * namespaces, sshd and dockerd, plus a TLS registry on the instance gateway (htpasswd auth, or Bearer
 * tokens from a local token service with `registryAuth: 'token'`).
 * `up` is idempotent and repairs what is missing; `down` undoes everything, also after a crash.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
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
import { keygenArgv } from './commands.ts';
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
import { renderKnownHosts, writeInventories } from './inventory.ts';
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
  /** Progress lines. */
  log?: (line: string) => void;
}

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

/** What `up` did. */
export interface UpReport {
  info: SandboxInfo;
  /** Milliseconds per phase, and `total`. */
  timings: Record<string, number>;
  repaired: string[];
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

/** Brings up (or repairs) an instance and returns how to use it. */
export async function up(opts: UpOptions): Promise<UpReport> {
  const t0 = Date.now();
  await checkMachine(opts.debian || opts.postgres ? [{ program: 'mmdebstrap', pkg: 'mmdebstrap' }] : []);
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
  const registryAuth = opts.registryAuth ?? 'basic';
  const state: SandboxState = {
    version: 1,
    name,
    index,
    hosts,
    registry: existing?.registry,
    registryAuth: existing?.registryAuth,
    tokenService: existing?.tokenService,
    procs: {},
  };
  for (const h of hostNames(hosts)) state.procs[h] = existing?.procs[h] ?? {};
  const save = () => writeState(layout.stateFile, state);
  save();

  let since = Date.now();
  for (const d of [layout.logsDir, layout.registryDir]) mkdirSync(d, { recursive: true, mode: 0o700 });
  // Started now, awaited before the base image needs it; its error is kept, not left unhandled, meanwhile.
  const runnerDocker = ensureRunnerDockerd(join(sandboxRoot(opts.repoRoot), 'runner-dockerd.log')).then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!existsSync(layout.sshKey)) await run(keygenArgv(layout.sshKey, `slipway-sandbox-${name}`));
  await ensureNsDir(layout);
  const regFiles = await ensureRegistryFiles(plan, layout, registryAuth);
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
        if (existing && hostNames(existing.hosts).includes(host.name))
          repaired.push(`${host.name}: namespaces`);
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

  const inventoriesRoot = inventoriesRootOf(opts, layout);
  const ref = (p: string) => (name === DEFAULT_INSTANCE ? relative(opts.repoRoot, p) : p);
  writeInventories(inventoriesRoot, plan, {
    sshKey: ref(layout.sshKey),
    knownHosts: ref(layout.knownHosts),
    registryCa: ref(regFiles.caCert),
    registryCredentials: ref(regFiles.credentials),
  });
  save();
  const info = infoOf(opts, plan, layout, registryAuth);
  if (opts.debian) info.registry.debianImage = debianImageRef(plan);
  if (opts.postgres) info.registry.postgresImage = postgresImageRef(plan);
  return { info, timings, repaired };
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

function infoOf(t: SandboxTarget, plan: SandboxPlan, layout: Layout, auth: RegistryAuth): SandboxInfo {
  const reg = registryFiles(layout);
  const creds = readCredentials(reg);
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
    registry: { address: plan.registry, auth, ...creds, caCert: reg.caCert, baseImage: baseImageRef(plan) },
  };
}
