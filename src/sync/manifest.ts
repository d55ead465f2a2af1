// What a sync step ships: every regular file under its source directory, by path, with its content hash and
// whether it is executable. The walk refuses what cannot be shipped faithfully before anything runs on a host.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  lstatSync,
  openSync,
  readdirSync,
  readSync,
  realpathSync,
  statSync,
} from 'node:fs';
import { join, posix, relative, sep } from 'node:path';

/** One shipped file: its SHA-256 (hex), size in bytes and mode (0644, or 0755 when executable). */
export interface ManifestFile {
  sha256: string;
  size: number;
  mode: number;
}

/** The content of one release: files by path relative to the source (`/`-separated), sorted. */
export interface Manifest {
  /** Hash of the whole content: equal content, equal id, so a sync of unchanged files makes no release. */
  id: string;
  files: Record<string, ManifestFile>;
}

/** A source the step cannot ship (a symlink out of the repository, a device, a name a checksum list cannot hold). */
export class SyncSourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SyncSourceError';
  }
}

// A newline or backslash in a name would break the checksum list the host verifies the release with.
const UNSAFE_NAME = /[\u0000-\u001f\u007f\\]/;

/** Walks `source` (relative to `repoRoot`) and hashes every file; throws SyncSourceError on what it refuses. */
export function buildManifest(repoRoot: string, source: string): Manifest {
  const realRoot = realpathSync(repoRoot);
  const top = join(repoRoot, source);
  const realTop = realpathSync(top);
  if (!inside(realRoot, realTop))
    throw new SyncSourceError(`sync source "${source}" leads outside the repository (to ${realTop})`);
  if (!statSync(realTop).isDirectory())
    throw new SyncSourceError(`expected sync source "${source}" to be a directory, got a file`);
  const files: Record<string, ManifestFile> = {};
  const where = { realRoot, source, from: relative(realRoot, realTop), tracked: trackedFiles(repoRoot) };
  for (const rel of walk(realTop, '', where)) files[rel] = describeFile(join(realTop, rel));
  return { id: manifestId(files), files };
}

/** Where a walk is: the repository, the source as written and from the root, and what the commit holds. */
interface WalkPlace {
  realRoot: string;
  source: string;
  from: string;
  tracked: TrackedFiles | undefined;
}

/** The files Git tracks in a checkout, and every directory above one. */
interface TrackedFiles {
  files: Set<string>;
  dirs: Set<string>;
}

/**
 * What the commit holds when `repoRoot` is a working tree (ignored files such as `.env`, `.git` and
 * Slipway's own `.slipway/` are in none); undefined for a tree written from a commit, which holds nothing else.
 */
function trackedFiles(repoRoot: string): TrackedFiles | undefined {
  if (!existsSync(join(repoRoot, '.git'))) return undefined;
  const listed = execFileSync('git', ['-C', repoRoot, 'ls-files', '-z'], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  const files = new Set(listed.split('\0').filter(Boolean));
  const dirs = new Set<string>();
  for (const f of files)
    for (let d = posix.dirname(f); d !== '.' && !dirs.has(d); d = posix.dirname(d)) dirs.add(d);
  return { files, dirs };
}

/** The id of a content: SHA-256 over the sorted paths, modes and hashes, 20 hex digits. */
export function manifestId(files: Readonly<Record<string, ManifestFile>>): string {
  const h = createHash('sha256');
  for (const path of Object.keys(files).sort()) {
    const f = files[path]!;
    h.update(`${path}\0${f.mode.toString(8)}\0${f.sha256}\n`);
  }
  return h.digest('hex').slice(0, 20);
}

function inside(root: string, path: string): boolean {
  return path === root || path.startsWith(root + sep);
}

function walk(dir: string, prefix: string, where: WalkPlace): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const rel = prefix === '' ? name : `${prefix}/${name}`;
    const shown = `${where.source}/${rel}`;
    const fromRoot = posix.join(where.from, rel);
    // What the commit does not hold is not shipped: the clean-tree check already refused untracked files.
    if (where.tracked && !where.tracked.files.has(fromRoot) && !where.tracked.dirs.has(fromRoot)) continue;
    if (UNSAFE_NAME.test(name))
      throw new SyncSourceError(
        `"${JSON.stringify(shown)}": a name with a control character or "\\" is not synced`,
      );
    const abs = join(dir, name);
    const st = lstatSync(abs);
    if (st.isDirectory()) out.push(...walk(abs, rel, where));
    else if (st.isFile()) out.push(rel);
    else if (st.isSymbolicLink()) out.push(...followLink(abs, rel, shown, where));
    else throw new SyncSourceError(`expected a file or directory at "${shown}", got a special file`);
  }
  return out;
}

// A symlink ships the file it points at, when that file is in the repository.
function followLink(abs: string, rel: string, shown: string, { realRoot, tracked }: WalkPlace): string[] {
  let target: string;
  try {
    target = realpathSync(abs);
  } catch {
    throw new SyncSourceError(`"${shown}" is a symlink to nothing; remove it or point it at a file`);
  }
  if (!inside(realRoot, target))
    throw new SyncSourceError(
      `"${shown}" is a symlink leading outside the repository (to ${target}); copy the file into the repository instead`,
    );
  if (!statSync(target).isFile())
    throw new SyncSourceError(
      `"${shown}" is a symlink to a directory (${relative(realRoot, target)}); only symlinks to files are synced`,
    );
  if (tracked && !tracked.files.has(relative(realRoot, target)))
    throw new SyncSourceError(
      `"${shown}" is a symlink to ${relative(realRoot, target)}, which the commit does not hold (ignored or untracked); point it at a committed file`,
    );
  return [rel];
}

// Read in chunks: a large asset must not be held in memory whole.
function describeFile(abs: string): ManifestFile {
  const st = statSync(abs);
  const h = createHash('sha256');
  const chunk = Buffer.alloc(1 << 20);
  const fd = openSync(abs, 'r');
  try {
    for (let n = readSync(fd, chunk); n > 0; n = readSync(fd, chunk)) h.update(chunk.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return { sha256: h.digest('hex'), size: st.size, mode: st.mode & 0o111 ? 0o755 : 0o644 };
}
