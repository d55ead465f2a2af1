import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';

/** This checkout, whose sample ops repository the tests read. */
const ROOT = resolve(import.meta.dirname, '../..');

/**
 * A clone of this checkout's last commit in a fresh temp directory: a served checkout that holds exactly
 * its HEAD, whatever is being edited here meanwhile.
 */
export async function cloneOfThisCheckout(): Promise<{ root: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-served-'));
  await execa('git', ['clone', '--quiet', ROOT, dir]);
  return { root: dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
