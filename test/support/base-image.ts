import { copyFile, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { execa } from 'execa';
import { pack } from 'tar-fs';

/** Name of the test base image: a busybox-static rootfs, since no image can be pulled from a hub. */
export const TEST_BASE_IMAGE = 'slipway-test/busybox:1';

/** Imports a busybox-static rootfs into the daemon as TEST_BASE_IMAGE unless it is there already. */
export async function ensureBaseImage(docker: Docker): Promise<string> {
  const exists = await docker
    .getImage(TEST_BASE_IMAGE)
    .inspect()
    .then(() => true)
    .catch(() => false);
  if (exists) return TEST_BASE_IMAGE;
  const root = await mkdtemp(join(tmpdir(), 'slipway-rootfs-'));
  try {
    await mkdir(join(root, 'bin'));
    for (const d of ['tmp', 'etc', 'var/www', 'proc', 'sys', 'dev'])
      await mkdir(join(root, d), { recursive: true });
    await copyFile('/bin/busybox', join(root, 'bin/busybox'));
    const { stdout } = await execa('/bin/busybox', ['--list']);
    for (const applet of stdout.split('\n').filter((a) => a && a !== 'busybox')) {
      await symlink('busybox', join(root, 'bin', applet));
    }
    const [repo, tag] = TEST_BASE_IMAGE.split(':') as [string, string];
    const stream = await docker.importImage(
      pack(root) as unknown as string,
      {
        repo,
        tag,
        changes: ['ENV PATH=/bin', 'CMD ["sh"]'],
      } as object,
    );
    await new Promise<void>((resolve, reject) =>
      docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve())),
    );
  } finally {
    await rm(root, { recursive: true, force: true });
  }
  return TEST_BASE_IMAGE;
}
