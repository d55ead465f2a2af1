/**
 * The base image every sandbox registry holds: a busybox-static rootfs turned into an image with
 * `docker import` (nothing can be pulled from the internet here), pushed as <registry>/sandbox/busybox.
 */
import { copyFileSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './exec.ts';
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

/** `docker import`s a root file system tarball on the runner's dockerd and pushes it as `ref`. */
async function importAndPush(
  layout: Layout,
  files: RegistryFiles,
  plan: SandboxPlan,
  tar: string,
  cmd: string,
  ref: string,
) {
  mkdirSync(layout.dockerConfigDir, { recursive: true, mode: 0o700 });
  const creds = readCredentials(files);
  await run(
    runnerDocker(layout, ['login', '--username', creds.username, '--password-stdin', plan.registry]),
    {
      input: creds.password,
    },
  );
  await run(runnerDocker(layout, ['import', '--change', `CMD ["${cmd}"]`, tar, ref]), { timeoutMs: 300_000 });
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

/** Builds a minimal Debian root file system with mmdebstrap (downloads from the Debian mirror) and pushes it. */
export async function seedDebianImage(
  plan: SandboxPlan,
  layout: Layout,
  files: RegistryFiles,
): Promise<string> {
  const ref = debianImageRef(plan);
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
      {
        timeoutMs: 900_000,
      },
    );
    await importAndPush(layout, files, plan, tar, '/bin/bash', ref);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return ref;
}
