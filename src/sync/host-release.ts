// One host's side of a sync: stage a release beside the live one, then switch `current` to it and prune.
import type { Readable } from 'node:stream';
import { RELEASE_FILES, RELEASE_MANIFEST, type SyncPaths } from '../core/sync-layout.ts';
import { rmTree, switchLink } from '../remote/commands/files.ts';
import { execOk, type Transport } from '../remote/transport.ts';
import {
  checksumList,
  isRelease,
  makeStaging,
  publish,
  removeRelease,
  touchRelease,
  untar,
  verifyChecksums,
} from './commands.ts';
import type { Manifest } from './manifest.ts';

/** What is recorded with a release on the host, beside its files. */
export interface ReleaseOrigin {
  commit: string;
  run: string;
}

/** Directory of release `id`. */
export function releaseDir(paths: SyncPaths, id: string): string {
  return `${paths.releases}/${id}`;
}

/**
 * Makes release `manifest.id` complete on the host without touching `current`: reused when a kept release
 * has the same content, else unpacked into a staging directory, verified against the manifest's hashes,
 * and renamed into place. Returns whether it uploaded. A failure removes the staging directory.
 */
export async function stageRelease(
  t: Transport,
  paths: SyncPaths,
  manifest: Manifest,
  content: () => Readable,
  origin: ReleaseOrigin & { signal?: AbortSignal },
): Promise<boolean> {
  const { signal } = origin;
  const final = releaseDir(paths, manifest.id);
  if ((await t.exec(isRelease(final), { signal })).exitCode === 0) return false;
  const staging = `${paths.releases}/.staging-${manifest.id}`;
  try {
    await execOk(t, makeStaging(staging), { signal });
    const files = `${staging}/${RELEASE_FILES}`;
    await execOk(t, untar(files), { signal, stdin: content() });
    await execOk(t, verifyChecksums(files), { signal, stdin: checksumList(manifest) });
    const record = { id: manifest.id, files: manifest.files, commit: origin.commit, run: origin.run };
    await t.upload(`${JSON.stringify(record)}\n`, `${staging}/${RELEASE_MANIFEST}`, { mode: 0o644 });
    await execOk(t, publish(staging, final), { signal });
  } catch (err) {
    await t.exec(rmTree(staging)).catch(() => undefined);
    throw err;
  }
  return true;
}

/** Points `current` at release `id` atomically; it becomes the newest. */
export async function switchRelease(
  t: Transport,
  paths: SyncPaths,
  id: string,
  signal?: AbortSignal,
): Promise<void> {
  const dir = releaseDir(paths, id);
  await execOk(t, touchRelease(dir), { signal });
  await execOk(t, switchLink(dir, paths.current), { signal });
}

/** Removes the releases past `keep` (never the live one: `releasesToPrune` leaves it out). */
export async function pruneReleases(
  t: Transport,
  paths: SyncPaths,
  prune: readonly string[],
  signal?: AbortSignal,
): Promise<void> {
  for (const old of prune) await execOk(t, removeRelease(paths.releases, old), { signal });
}

/** Removes release `id` again (an upload another host failed), whole or not at all as far as a sync sees. */
export async function withdrawRelease(t: Transport, paths: SyncPaths, id: string): Promise<void> {
  await execOk(t, removeRelease(paths.releases, id));
}
