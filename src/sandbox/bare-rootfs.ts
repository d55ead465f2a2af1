/**
 * The Debian root file system of bare hosts (`sandbox up --bare`) and the local apt repository they
 * install from: made once per machine with mmdebstrap and kept under BARE_CACHE, keyed by a hash of
 * how they are made, so every instance and every run shares them (hosts only add overlay layers).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEBIAN_SUITE } from './base-image.ts';
import { aptIndexArgv, type BareRoot, bareRootfsArgv } from './commands.ts';
import { run } from './exec.ts';
import { withLock } from './state.ts';

/** Machine-wide cache of bare root file systems and their apt repositories. */
export const BARE_CACHE = '/var/cache/slipway/sandbox';

/**
 * What the infra pipeline installs on a bare host (roles/docker_host with its default tools, and
 * roles/caddy), so the repository holds it with its dependencies.
 */
export const BARE_PACKAGES = ['docker.io', 'docker-compose', 'iproute2', 'curl', 'caddy'] as const;

/** Directory of the cached rootfs and repository for the current recipe. */
export function bareCacheDir(): string {
  const recipe = bareRootfsArgv('ROOTFS', 'DEBS', DEBIAN_SUITE, BARE_PACKAGES).join('\0');
  const hash = createHash('sha256').update(recipe).digest('hex').slice(0, 12);
  return join(BARE_CACHE, `bare-${DEBIAN_SUITE}-${hash}`);
}

/** The bare hosts' rootfs and apt repository, built unless the cache holds them already. */
export async function ensureBareRoot(log: (line: string) => void): Promise<BareRoot> {
  const dir = bareCacheDir();
  const root: BareRoot = { rootfs: join(dir, 'rootfs'), aptRepo: join(dir, 'apt') };
  if (existsSync(dir)) return root;
  // Machine-wide: two instances (or checkouts) must not build the same cache at once.
  await withLock(`${dir}.lock`, async () => {
    if (existsSync(dir)) return;
    log(`building the bare hosts' Debian ${DEBIAN_SUITE} rootfs with mmdebstrap (once per machine)`);
    const tmp = `${dir}.tmp`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(join(tmp, 'apt'), { recursive: true, mode: 0o755 });
    const tmpRoot: BareRoot = { rootfs: join(tmp, 'rootfs'), aptRepo: join(tmp, 'apt') };
    await run(bareRootfsArgv(tmpRoot.rootfs, tmpRoot.aptRepo, DEBIAN_SUITE, BARE_PACKAGES), {
      timeoutMs: 900_000,
    });
    const index = await run(aptIndexArgv(), { cwd: tmpRoot.aptRepo, timeoutMs: 120_000 });
    writeFileSync(join(tmpRoot.aptRepo, 'Packages'), `${index}\n`, { mode: 0o644 });
    renameSync(tmp, dir);
  });
  return root;
}
