import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';

/** A real bare repository reachable as a file:// URL, with a working clone to commit from. */
export interface GitOrigin {
  url: string;
  /** Writes `files` (path -> content; null deletes), commits and pushes to `branch`; returns the new SHA. */
  commit(files: Record<string, string | null>, branch?: string, message?: string): Promise<string>;
  /** Tags HEAD as `tag` and pushes the tag. */
  tag(tag: string): Promise<void>;
  cleanup(): Promise<void>;
}

const IDENTITY = {
  GIT_AUTHOR_NAME: 'Alice',
  GIT_AUTHOR_EMAIL: 'alice@example.com',
  GIT_COMMITTER_NAME: 'Alice',
  GIT_COMMITTER_EMAIL: 'alice@example.com',
};

/** Creates an empty origin repository and a clone of it in a temporary directory. */
export async function createGitOrigin(): Promise<GitOrigin> {
  const root = await mkdtemp(join(tmpdir(), 'slipway-origin-'));
  const bare = join(root, 'origin.git');
  const work = join(root, 'work');
  await execa('git', ['init', '--quiet', '--bare', '--initial-branch=main', bare]);
  await execa('git', ['init', '--quiet', '--initial-branch=main', work]);
  const git = (...args: string[]) => execa('git', ['-C', work, ...args], { env: IDENTITY });
  return {
    url: `file://${bare}`,
    async commit(files, branch = 'main', message = 'change') {
      const { stdout: current } = await git('rev-parse', '--abbrev-ref', 'HEAD').catch(() => ({
        stdout: '',
      }));
      if (current !== branch) await git('checkout', '--quiet', '-B', branch);
      for (const [path, content] of Object.entries(files)) {
        const file = join(work, path);
        if (content === null) await rm(file, { force: true });
        else {
          await mkdir(dirname(file), { recursive: true });
          await writeFile(file, content);
        }
      }
      await git('add', '--all');
      await git('commit', '--quiet', '--allow-empty', '-m', message);
      await git('push', '--quiet', bare, `HEAD:refs/heads/${branch}`);
      return (await git('rev-parse', 'HEAD')).stdout;
    },
    async tag(tag) {
      await git('tag', tag);
      await git('push', '--quiet', bare, `refs/tags/${tag}`);
    },
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}
