import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Checkouts, checkoutsBeside } from '../../../src/triggers/checkout.ts';
import { createGitOrigin, type GitOrigin } from '../../support/git-origin.ts';

describe('Checkouts (real git, file:// origin)', () => {
  let origin: GitOrigin;
  let dir: string;
  let checkouts: Checkouts;
  beforeEach(async () => {
    origin = await createGitOrigin();
    dir = await mkdtemp(join(tmpdir(), 'slipway-checkout-'));
    checkouts = new Checkouts({ cacheDir: join(dir, 'cache.git'), workRoot: join(dir, 'work') });
  });
  afterEach(async () => {
    await origin.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the tree of the pushed commit, without .git, and reuses it', async () => {
    const sha = await origin.commit({ 'pipelines/app.yml': 'name: app\n', 'README.md': 'v1' });
    const tree = await checkouts.at(origin.url, 'refs/heads/main', sha);
    expect(tree).toBe(join(dir, 'work', sha));
    expect(readFileSync(join(tree, 'pipelines/app.yml'), 'utf8')).toBe('name: app\n');
    expect(existsSync(join(tree, '.git'))).toBe(false);
    expect(await checkouts.at(origin.url, 'refs/heads/main', sha)).toBe(tree);
    // No temporary directories or index files left behind.
    expect(await readdir(join(dir, 'work'))).toEqual([sha]);
  });

  it('gets an older commit after the branch moved on, and tells the head of a ref', async () => {
    const first = await origin.commit({ 'a.txt': '1' });
    const second = await origin.commit({ 'a.txt': '2' });
    expect(await checkouts.head(origin.url, 'refs/heads/main')).toBe(second);
    expect(await checkouts.head(origin.url, 'refs/heads/nope')).toBeUndefined();
    const [a, b] = await Promise.all([
      checkouts.at(origin.url, 'refs/heads/main', first),
      checkouts.at(origin.url, 'refs/heads/main', second),
    ]);
    expect(readFileSync(join(a, 'a.txt'), 'utf8')).toBe('1');
    expect(readFileSync(join(b, 'a.txt'), 'utf8')).toBe('2');
  });

  it('gets a commit whose branch is gone by asking for the commit itself', async () => {
    await origin.commit({ 'a.txt': 'main' });
    const sha = await origin.commit({ 'a.txt': 'feature' }, 'feature');
    // The branch is deleted on the origin; its commit stays reachable from nothing but its id.
    await execa('git', ['--git-dir', new URL(origin.url).pathname, 'update-ref', '-d', 'refs/heads/feature']);
    const tree = await checkouts.at(origin.url, 'refs/heads/feature', sha);
    expect(readFileSync(join(tree, 'a.txt'), 'utf8')).toBe('feature');
  });

  it("keeps the tree another process wrote first (serve's and the CLI's checkouts share the trees)", async () => {
    const sha = await origin.commit({ 'a.txt': '1' });
    const other = checkoutsBeside(join(dir, 'state.db'));
    const mine = checkoutsBeside(join(dir, 'state.db'));
    const trees = await Promise.all([
      other.at(origin.url, 'refs/heads/main', sha),
      mine.at(origin.url, 'refs/heads/main', sha),
    ]);
    expect(trees).toEqual([join(dir, 'work', sha), join(dir, 'work', sha)]);
    expect(readFileSync(join(dir, 'work', sha, 'a.txt'), 'utf8')).toBe('1');
    expect(await readdir(join(dir, 'work'))).toEqual([sha]);
  });

  it('fails clearly for a commit the origin does not have, and refuses non-SHAs', async () => {
    await origin.commit({ 'a.txt': '1' });
    await expect(checkouts.at(origin.url, 'refs/heads/main', 'f'.repeat(40))).rejects.toThrow(/is not on/);
    await expect(checkouts.at(origin.url, 'refs/heads/main', '--upload-pack=x')).rejects.toThrow(
      /not a commit id/,
    );
    expect(existsSync(join(dir, 'work', 'f'.repeat(40)))).toBe(false);
  });

  it('prunes trees no unfinished run needs, keeping the latest ones', async () => {
    const shas: string[] = [];
    for (let i = 0; i < 4; i++) {
      shas.push(await origin.commit({ 'a.txt': String(i) }));
      await checkouts.at(origin.url, 'refs/heads/main', shas[i]!);
    }
    // Keep the newest one by age, and the oldest because a run still needs it.
    const removed = await checkouts.prune(new Set([shas[0]!]), 1);
    expect(removed.sort()).toEqual([shas[1]!, shas[2]!].sort());
    expect((await readdir(join(dir, 'work'))).sort()).toEqual([shas[0]!, shas[3]!].sort());
  });
});
