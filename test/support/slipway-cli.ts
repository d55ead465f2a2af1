import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { execa } from 'execa';

/** This checkout: the sample ops repository, and the CLI under test. */
export const REPO = resolve(import.meta.dirname, '..', '..');
const SLIPWAY = join(REPO, 'bin', 'slipway');

/** Global options: the sample repository with the sandbox's inventories swapped in. */
export const ON_SANDBOX_INVENTORIES = ['--repo', REPO, '--inventories', join(REPO, 'inventories', 'sandbox')];

/** Runs this checkout's `bin/slipway` with `args`; a non-zero exit is returned, not thrown. */
export async function slipway(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = await execa(SLIPWAY, args, { reject: false, timeout: 30_000 });
  return { code: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Runs `bin/slipway -C dir args` synchronously; the exit status and output are returned, not thrown. */
export function slipwayIn(dir: string, ...args: string[]) {
  return spawnSync(SLIPWAY, ['-C', dir, ...args], { encoding: 'utf8', timeout: 60_000 });
}
