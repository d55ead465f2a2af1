/**
 * The base image every sandbox registry holds: a busybox-static rootfs turned into an image with
 * `docker import` (nothing can be pulled from the internet here), pushed as <registry>/sandbox/busybox.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, tryRun } from './exec.ts';
import type { Layout } from './layout.ts';
import type { SandboxPlan } from './plan.ts';
import { BUSYBOX_STATIC } from './preflight.ts';
import { type RegistryFiles, readCredentials, registryGet } from './registry.ts';

/** Repository path of the base image inside the instance registry. */
export const BASE_REPOSITORY = 'sandbox/busybox';

/** Full reference of the base image of an instance. */
export function baseImageRef(plan: SandboxPlan): string {
  return `${plan.registry}/${BASE_REPOSITORY}:latest`;
}

/** Docker CLI argv on the runner side with the instance's own client config (credentials stay in the state dir). */
export function runnerDocker(layout: Layout, args: readonly string[]): string[] {
  return ['docker', '--config', layout.dockerConfigDir, '-H', 'unix:///var/run/docker.sock', ...args];
}

/** Writes a minimal busybox root file system tarball and returns its path. */
export async function buildRootfsTar(layout: Layout): Promise<string> {
  const dir = join(layout.stateDir, 'base-image');
  const rootfs = join(dir, 'rootfs');
  rmSync(dir, { recursive: true, force: true });
  for (const d of ['bin', 'etc', 'tmp', 'root', 'var/www']) mkdirSync(join(rootfs, d), { recursive: true });
  copyFileSync(BUSYBOX_STATIC, join(rootfs, 'bin', 'busybox'));
  const applets = (await run([BUSYBOX_STATIC, '--list'])).split('\n').filter((a) => a && a !== 'busybox');
  for (const a of applets) symlinkSync('busybox', join(rootfs, 'bin', a));
  writeFileSync(
    join(rootfs, 'etc', 'passwd'),
    'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n',
  );
  writeFileSync(join(rootfs, 'etc', 'group'), 'root:x:0:\nnogroup:x:65534:\n');
  const tar = join(dir, 'rootfs.tar');
  await run(['tar', '--numeric-owner', '--owner=0', '--group=0', '-C', rootfs, '-cf', tar, '.']);
  return tar;
}

/** Repository and tag of the optional Debian image (`sandbox up --debian`). */
export const DEBIAN_REPOSITORY = 'sandbox/debian';
export const DEBIAN_SUITE = 'bookworm';

/** Full reference of the optional Debian image of an instance. */
export function debianImageRef(plan: SandboxPlan): string {
  return `${plan.registry}/${DEBIAN_REPOSITORY}:${DEBIAN_SUITE}`;
}

/** True when the registry already holds `repository:tag`. */
export async function imagePresent(
  plan: SandboxPlan,
  files: RegistryFiles,
  repository: string,
  tag: string,
): Promise<boolean> {
  return (await registryGet(plan, files, `/v2/${repository}/manifests/${tag}`)) === 200;
}

// Logs the runner's docker in to the instance registry (in the instance's own client config).
async function loginRunner(layout: Layout, files: RegistryFiles, plan: SandboxPlan): Promise<void> {
  mkdirSync(layout.dockerConfigDir, { recursive: true, mode: 0o700 });
  const creds = readCredentials(files);
  await run(
    runnerDocker(layout, ['login', '--username', creds.username, '--password-stdin', plan.registry]),
    { input: creds.password },
  );
}

/** `docker import`s a root file system tarball on the runner's dockerd and pushes it as `ref`. */
async function importAndPush(
  layout: Layout,
  files: RegistryFiles,
  plan: SandboxPlan,
  tar: string,
  cmd: string,
  ref: string,
) {
  await loginRunner(layout, files, plan);
  await run(runnerDocker(layout, ['import', '--change', `CMD ["${cmd}"]`, tar, ref]), { timeoutMs: 300_000 });
  await run(runnerDocker(layout, ['push', ref]), { timeoutMs: 300_000 });
}

// Tags an image of the runner's cache as `ref` and pushes it to the instance registry.
async function pushCached(
  layout: Layout,
  files: RegistryFiles,
  plan: SandboxPlan,
  cached: string,
  ref: string,
) {
  await loginRunner(layout, files, plan);
  await run(runnerDocker(layout, ['tag', cached, ref]));
  await run(runnerDocker(layout, ['push', ref]), { timeoutMs: 300_000 });
}

/** Imports the busybox rootfs on the runner's dockerd and pushes it to the instance registry. */
export async function seedBaseImage(
  plan: SandboxPlan,
  layout: Layout,
  files: RegistryFiles,
): Promise<string> {
  const ref = baseImageRef(plan);
  await importAndPush(layout, files, plan, await buildRootfsTar(layout), '/bin/sh', ref);
  rmSync(join(layout.stateDir, 'base-image'), { recursive: true, force: true });
  return ref;
}

/** The Debian image in the runner's dockerd, built once per machine and shared by every instance. */
export const DEBIAN_CACHE = `slipway-cache/debian:${DEBIAN_SUITE}`;

async function cached(ref: string): Promise<boolean> {
  return (await tryRun(['docker', '-H', 'unix:///var/run/docker.sock', 'image', 'inspect', ref])).ok;
}

/**
 * Builds a minimal Debian root file system with mmdebstrap (downloads from the Debian mirror) and imports
 * it into the runner's dockerd as DEBIAN_CACHE, unless it is there already.
 */
async function ensureDebianCache(layout: Layout, log: (line: string) => void): Promise<string> {
  if (await cached(DEBIAN_CACHE)) return DEBIAN_CACHE;
  log(`building ${DEBIAN_CACHE} with mmdebstrap (downloads from the Debian mirror, once per machine)`);
  const dir = join(layout.stateDir, 'debian-image');
  mkdirSync(dir, { recursive: true });
  const tar = join(dir, 'rootfs.tar');
  try {
    await run(
      [
        'mmdebstrap',
        '--quiet',
        '--variant=minbase',
        '--mode=root',
        DEBIAN_SUITE,
        tar,
        'http://deb.debian.org/debian',
      ],
      { timeoutMs: 900_000 },
    );
    await run(runnerDocker(layout, ['import', '--change', 'CMD ["/bin/bash"]', tar, DEBIAN_CACHE]), {
      timeoutMs: 300_000,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return DEBIAN_CACHE;
}

/** Pushes the Debian image (built once per machine) to the instance registry. */
export async function seedDebianImage(
  plan: SandboxPlan,
  layout: Layout,
  files: RegistryFiles,
  log: (line: string) => void = () => {},
): Promise<string> {
  const ref = debianImageRef(plan);
  await pushCached(layout, files, plan, await ensureDebianCache(layout, log), ref);
  return ref;
}

/** Repository and tag of the PostgreSQL image (`sandbox up --postgres`). */
export const POSTGRES_REPOSITORY = 'sandbox/postgres';
export const POSTGRES_TAG = '15';

/** Full reference of the PostgreSQL image of an instance. */
export function postgresImageRef(plan: SandboxPlan): string {
  return `${plan.registry}/${POSTGRES_REPOSITORY}:${POSTGRES_TAG}`;
}

const POSTGRES_CONTEXT = join(import.meta.dirname, 'images', 'postgres');

/** The cache tag of the PostgreSQL image: a new one whenever its Dockerfile or entry point changes. */
export function postgresCacheRef(): string {
  const hash = createHash('sha256');
  for (const f of ['Dockerfile', 'entrypoint.sh']) hash.update(readFileSync(join(POSTGRES_CONTEXT, f)));
  return `slipway-cache/postgres:${POSTGRES_TAG}-${hash.digest('hex').slice(0, 12)}`;
}

/**
 * Builds PostgreSQL from Debian's packages on the Debian image (`apt-get install` inside `docker build`)
 * into the runner's dockerd unless that very build is cached there, then pushes it to the instance registry.
 */
export async function seedPostgresImage(
  plan: SandboxPlan,
  layout: Layout,
  files: RegistryFiles,
  log: (line: string) => void = () => {},
): Promise<string> {
  const cache = postgresCacheRef();
  if (!(await cached(cache))) {
    const base = await ensureDebianCache(layout, log);
    log(`building ${cache} (apt-get install postgresql-15, once per machine)`);
    await run(
      runnerDocker(layout, [
        'build',
        '--quiet',
        '--build-arg',
        `BASE=${base}`,
        '--tag',
        cache,
        POSTGRES_CONTEXT,
      ]),
      { timeoutMs: 900_000 },
    );
  }
  const ref = postgresImageRef(plan);
  await pushCached(layout, files, plan, cache, ref);
  return ref;
}
