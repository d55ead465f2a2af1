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

/** True when the registry already holds the base image. */
export async function baseImagePresent(plan: SandboxPlan, files: RegistryFiles): Promise<boolean> {
  return (await registryGet(plan, files, `/v2/${BASE_REPOSITORY}/manifests/latest`)) === 200;
}

/** Imports the busybox rootfs on the runner's dockerd and pushes it to the instance registry. */
export async function seedBaseImage(
  plan: SandboxPlan,
  layout: Layout,
  files: RegistryFiles,
): Promise<string> {
  const ref = baseImageRef(plan);
  const tar = await buildRootfsTar(layout);
  mkdirSync(layout.dockerConfigDir, { recursive: true, mode: 0o700 });
  const creds = readCredentials(files);
  await run(
    runnerDocker(layout, ['login', '--username', creds.username, '--password-stdin', plan.registry]),
    {
      input: creds.password,
    },
  );
  await run(runnerDocker(layout, ['import', '--change', 'CMD ["/bin/sh"]', tar, ref]));
  await run(runnerDocker(layout, ['push', ref]), { timeoutMs: 120_000 });
  rmSync(join(layout.stateDir, 'base-image'), { recursive: true, force: true });
  return ref;
}
