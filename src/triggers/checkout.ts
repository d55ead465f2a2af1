import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { execa } from 'execa';

const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;
/** A branch or tag ref; no refspec syntax (`:`, leading `+`) or glob, so a payload's ref cannot write refs. */
const REF = /^refs\/(heads|tags)\/[^\s:~^?*[\\]+$/;

/**
 * Writes the tree of commit `sha` (already in `gitDir`) into `dir`, a plain directory without .git.
 * The directory appears atomically (written beside it, then renamed; a tree another process wrote first
 * stands); the repository's index is untouched.
 */
export async function writeCommitTree(
  gitDir: string,
  sha: string,
  dir: string,
  signal?: AbortSignal,
): Promise<void> {
  await mkdir(dirname(dir), { recursive: true });
  const tmp = await mkdtemp(join(dirname(dir), `.${sha.slice(0, 12)}-`));
  try {
    const env = { GIT_INDEX_FILE: `${tmp}.index` };
    const tree = ['--git-dir', gitDir, '--work-tree', tmp];
    await execa('git', [...tree, 'read-tree', sha], { env, cancelSignal: signal });
    await execa('git', [...tree, 'checkout-index', '--all', '--force'], { env, cancelSignal: signal });
    await rename(tmp, dir).catch((err: NodeJS.ErrnoException) => {
      // Another process (serve and a CLI command share the trees) wrote the same commit's tree first.
      if (!((err.code === 'ENOTEMPTY' || err.code === 'EEXIST') && existsSync(dir))) throw err;
    });
  } finally {
    await rm(tmp, { recursive: true, force: true });
    await rm(`${tmp}.index`, { force: true });
  }
}

/**
 * Creates the bare cache repository at `dir` atomically (initialised beside it, then renamed): another
 * process sharing the cache may create it at the same moment, and the one created first stands.
 */
async function initBareCache(dir: string, signal?: AbortSignal): Promise<void> {
  await mkdir(dirname(dir), { recursive: true });
  const tmp = await mkdtemp(join(dirname(dir), `.${basename(dir)}-`));
  try {
    await execa('git', ['init', '--quiet', '--bare', tmp], { cancelSignal: signal });
    await rename(tmp, dir).catch((err: NodeJS.ErrnoException) => {
      if (!((err.code === 'ENOTEMPTY' || err.code === 'EEXIST') && existsSync(dir))) throw err;
    });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** True when `dir` is a tree `Checkouts` wrote from commit `sha` (named for it, no .git): it holds that commit. */
export function isCommitTree(dir: string, sha: string): boolean {
  return basename(dir) === sha && !existsSync(join(dir, '.git'));
}

/** HEAD's sha in `dir`, or undefined when it is not a Git checkout. */
export async function headSha(dir: string): Promise<string | undefined> {
  try {
    return (await execa('git', ['rev-parse', 'HEAD'], { cwd: dir })).stdout.trim();
  } catch {
    return undefined;
  }
}

/**
 * The commit a run's repository holds now: `sha` for a tree `Checkouts` wrote from it, else the working
 * tree's HEAD (a served or operator's checkout can move after the run was queued).
 */
export async function checkedOutSha(repoRoot: string, sha: string): Promise<string> {
  if (isCommitTree(repoRoot, sha)) return sha;
  return (await headSha(repoRoot)) ?? '(no commit)';
}

/** Where checkouts live: a bare cache repository and one directory per commit. */
export interface CheckoutPaths {
  /** Bare repository that accumulates fetched objects (`.slipway/git/cache.git`). */
  cacheDir: string;
  /** Parent of the per-commit trees (`.slipway/work`). */
  workRoot: string;
}

/** The checkouts beside a state store (`git/cache.git`, `work/<sha>`): serve's and the CLI's are the same. */
export function checkoutsBeside(statePath: string): Checkouts {
  const state = dirname(statePath);
  return new Checkouts({ cacheDir: join(state, 'git', 'cache.git'), workRoot: join(state, 'work') });
}

/**
 * Fetches commits into a bare cache and writes a commit's tree into `<workRoot>/<sha>`: a plain
 * directory (no .git), reused when it exists. Fetches are serialised; a tree appears atomically.
 */
export class Checkouts {
  readonly #paths: CheckoutPaths;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(paths: CheckoutPaths) {
    this.#paths = paths;
  }

  /** The bare cache repository every fetched commit is in. */
  get gitDir(): string {
    return this.#paths.cacheDir;
  }

  /** The tree of `sha` from `url`, fetching `ref` (then the SHA itself) when the cache lacks it. */
  async at(url: string, ref: string, sha: string, signal?: AbortSignal): Promise<string> {
    if (!SHA.test(sha)) throw new Error(`not a commit id: ${JSON.stringify(sha)}`);
    if (!REF.test(ref)) throw new Error(`not a branch or tag ref: ${JSON.stringify(ref)}`);
    const dir = join(this.#paths.workRoot, sha);
    if (existsSync(dir)) return dir;
    return this.#serial(async () => {
      if (existsSync(dir)) return dir;
      await this.#ensureCommit(url, ref, sha, signal);
      await writeCommitTree(this.#paths.cacheDir, sha, dir, signal);
      return dir;
    });
  }

  /**
   * Removes commit trees no longer needed: every tree except those in `keep` (commits of unfinished runs)
   * and the `keepLatest` most recently written. Returns the SHAs removed.
   */
  async prune(keep: ReadonlySet<string>, keepLatest: number): Promise<string[]> {
    return this.#serial(async () => {
      const entries = existsSync(this.#paths.workRoot) ? await readdir(this.#paths.workRoot) : [];
      const trees = await Promise.all(
        entries
          .filter((name) => SHA.test(name))
          .map(async (sha) => ({ sha, mtime: (await stat(join(this.#paths.workRoot, sha))).mtimeMs })),
      );
      trees.sort((a, b) => b.mtime - a.mtime);
      const doomed = trees.slice(keepLatest).filter((t) => !keep.has(t.sha));
      for (const t of doomed) await rm(join(this.#paths.workRoot, t.sha), { recursive: true, force: true });
      return doomed.map((t) => t.sha);
    });
  }

  /** The commit `ref` points to on `url` (`git ls-remote`), or undefined when there is no such ref. */
  async head(url: string, ref: string, signal?: AbortSignal): Promise<string | undefined> {
    const { stdout } = await execa('git', ['ls-remote', '--', url, ref], { cancelSignal: signal });
    const line = stdout.split('\n').find((l) => l.endsWith(`\t${ref}`));
    return line?.split('\t')[0];
  }

  /** Author name and e-mail of a commit already in the cache. */
  async author(sha: string): Promise<{ authorName?: string; authorEmail?: string }> {
    const { stdout } = await execa('git', [
      '--git-dir',
      this.#paths.cacheDir,
      'show',
      '-s',
      '--format=%an%x00%ae',
      sha,
    ]);
    const [authorName, authorEmail] = stdout.split('\0');
    return { ...(authorName ? { authorName } : {}), ...(authorEmail ? { authorEmail } : {}) };
  }

  async #ensureCommit(url: string, ref: string, sha: string, signal?: AbortSignal) {
    const git = (args: string[]) =>
      execa('git', ['--git-dir', this.#paths.cacheDir, ...args], { cancelSignal: signal });
    if (!existsSync(this.#paths.cacheDir)) await initBareCache(this.#paths.cacheDir, signal);
    const has = async () =>
      (await git(['cat-file', '-e', `${sha}^{commit}`]).catch(() => undefined)) !== undefined;
    if (await has()) return;
    // A ref gone since (a deleted branch whose commit a rollback deploys) leaves the commit itself to ask for.
    const byRef = await git(['fetch', '--quiet', '--no-tags', '--', url, ref]).catch((err: unknown) => err);
    if (await has()) return;
    // The ref moved on since the push: ask for the commit itself (GitHub, Gitea and file:// allow it).
    await git(['fetch', '--quiet', '--no-tags', '--', url, sha]).catch(() => undefined);
    if (await has()) return;
    const why = byRef instanceof Error ? `: ${byRef.message}` : '';
    throw new Error(`commit ${sha} is not on ${url} (fetched ${ref}${why})`);
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(fn, fn);
    this.#queue = next.catch(() => undefined);
    return next;
  }
}
