import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** Writes files into a fresh temp directory and commits them as a Git repository; returns its path. */
export function tempOpsRepo(
  files: Record<string, string>,
  author = { name: 'Carol', email: 'carol@example.com' },
): string {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-ops-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', `user.name=${author.name}`, '-c', `user.email=${author.email}`, ...args], {
      cwd: dir,
      stdio: 'pipe',
    });
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'ops repo');
  return dir;
}
