import { execa } from 'execa';
import type { Commit } from '../engine/create-run.ts';

/** The commit checked out in `dir`: HEAD's sha, branch and author (from git itself). */
export async function headCommit(dir: string): Promise<Commit> {
  const git = (...args: string[]) => execa('git', args, { cwd: dir }).then((r) => r.stdout.trim());
  let sha: string;
  try {
    sha = await git('rev-parse', 'HEAD');
  } catch {
    throw new Error(`${dir} is not a Git checkout with a commit: commit the ops repository first`);
  }
  const branch = await git('rev-parse', '--abbrev-ref', 'HEAD');
  const [authorEmail, authorName] = (await git('log', '-1', '--format=%ae%n%an')).split('\n');
  return { sha, branch, authorEmail, authorName };
}
