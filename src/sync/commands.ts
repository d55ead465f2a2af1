/** Pure argv builders of the sync step: read a host's releases, unpack and verify one, prune old ones. */
import { RELEASE_FILES, RELEASE_MANIFEST } from '../core/sync-layout.ts';
import type { Manifest } from './manifest.ts';

function absolute(path: string): string {
  if (!path.startsWith('/')) throw new Error(`expected an absolute path, got ${JSON.stringify(path)}`);
  return path;
}

// Constant scripts: paths arrive as positional parameters only, never parsed by a shell.
const READ_STATE_SCRIPT = [
  'set -eu',
  'if [ -e "$1/current/manifest.json" ]; then cat -- "$1/current/manifest.json"; fi',
  'echo',
  'if [ -d "$1/releases" ]; then ls -1t -- "$1/releases"; fi',
].join('\n');
const STAGE_SCRIPT = 'set -eu\nrm -rf -- "$1"\nmkdir -p -- "$1/$2"';
const VERIFY_SCRIPT = 'set -eu\ncd -- "$1"\nexec sha256sum --quiet --strict --check -';
// A release is renamed out of the listing first: `rm -rf` stopped half-way must never leave a directory that
// still looks like a complete release (its manifest kept, files gone), which the next sync would reuse.
const REMOVE_SCRIPT = [
  'set -eu',
  'cd -- "$1"',
  'rm -rf -- .removing-*',
  'if [ -e "$2" ]; then mv -T -- "$2" ".removing-$2"; fi',
  'rm -rf -- .removing-*',
].join('\n');

/**
 * Prints the live release's manifest (one JSON line, empty when nothing is live), then the release
 * directories newest first, one per line.
 */
export function readSyncState(root: string): string[] {
  return ['sh', '-c', READ_STATE_SCRIPT, 'slipway-sync-state', absolute(root)];
}

/** Empties (or creates) a staging directory with its `files` directory inside. */
export function makeStaging(dir: string): string[] {
  return ['sh', '-c', STAGE_SCRIPT, 'slipway-sync-stage', absolute(dir), RELEASE_FILES];
}

/** Unpacks a tar stream from stdin into `dir`, files owned by the SSH user, mtimes set to now. */
export function untar(dir: string): string[] {
  return ['tar', '-x', '-m', '--no-same-owner', '-f', '-', '-C', absolute(dir)];
}

/** Checks the files under `dir` against a `sha256sum` list on stdin; exits non-zero on any mismatch. */
export function verifyChecksums(dir: string): string[] {
  return ['sh', '-c', VERIFY_SCRIPT, 'slipway-sync-verify', absolute(dir)];
}

/** The checksum list {@link verifyChecksums} reads: `<sha256>  <path>` per file. */
export function checksumList(manifest: Manifest): string {
  return Object.entries(manifest.files)
    .map(([path, f]) => `${f.sha256}  ${path}\n`)
    .join('');
}

/** Renames a staged release into place; fails when `to` exists (never merges into a release). */
export function publish(from: string, to: string): string[] {
  return ['mv', '-T', '--', absolute(from), absolute(to)];
}

/** Exits 0 when `releaseDir` holds a complete release (its manifest is written last). */
export function isRelease(releaseDir: string): string[] {
  return ['test', '-f', `${absolute(releaseDir)}/${RELEASE_MANIFEST}`];
}

/**
 * Removes release `id` from `releases` (renamed to a dot name, which no listing shows, then deleted), and
 * what an earlier removal left half-deleted.
 */
export function removeRelease(releases: string, id: string): string[] {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(id))
    throw new Error(`expected a release id (letters, digits, . _ -), got ${JSON.stringify(id)}`);
  return ['sh', '-c', REMOVE_SCRIPT, 'slipway-sync-remove', absolute(releases), id];
}

/** Marks a release as the newest (its mtime orders pruning). */
export function touchRelease(releaseDir: string): string[] {
  return ['touch', '-c', '--', absolute(releaseDir)];
}
