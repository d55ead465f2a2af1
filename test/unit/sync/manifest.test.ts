import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildManifest, SyncSourceError } from '../../../src/sync/manifest.ts';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

describe('buildManifest', () => {
  let repo: string;
  beforeEach(() => {
    repo = mkdtempSync(join(tmpdir(), 'slipway-manifest-'));
    mkdirSync(join(repo, 'site/js'), { recursive: true });
    writeFileSync(join(repo, 'site/index.html'), '<h1>hi</h1>');
    writeFileSync(join(repo, 'site/js/app.js'), 'go()');
    writeFileSync(join(repo, 'site/run.sh'), '#!/bin/sh');
    chmodSync(join(repo, 'site/run.sh'), 0o700);
    writeFileSync(join(repo, 'shared.css'), 'body{}');
  });
  afterEach(() => rmSync(repo, { recursive: true, force: true }));

  it('hashes every file by path, with its mode, and names the content by its hash', () => {
    symlinkSync('../shared.css', join(repo, 'site/style.css'));
    const m = buildManifest(repo, 'site');
    expect(m.files).toEqual({
      'index.html': { sha256: sha('<h1>hi</h1>'), size: 11, mode: 0o644 },
      'js/app.js': { sha256: sha('go()'), size: 4, mode: 0o644 },
      'run.sh': { sha256: sha('#!/bin/sh'), size: 9, mode: 0o755 },
      'style.css': { sha256: sha('body{}'), size: 6, mode: 0o644 },
    });
    expect(m.id).toMatch(/^[0-9a-f]{20}$/);
    expect(buildManifest(repo, 'site').id).toBe(m.id);
    writeFileSync(join(repo, 'site/js/app.js'), 'go(1)');
    expect(buildManifest(repo, 'site').id).not.toBe(m.id);
  });

  it('hashes a file larger than one read', () => {
    const big = Buffer.alloc(2.5 * 1024 * 1024, 'x');
    writeFileSync(join(repo, 'site/big.bin'), big);
    expect(buildManifest(repo, 'site').files['big.bin']).toEqual({
      sha256: createHash('sha256').update(big).digest('hex'),
      size: big.length,
      mode: 0o644,
    });
  });

  it('gives a mode change a new id', () => {
    const before = buildManifest(repo, 'site').id;
    chmodSync(join(repo, 'site/index.html'), 0o755);
    expect(buildManifest(repo, 'site').id).not.toBe(before);
  });

  it('refuses a symlink leading outside the repository', () => {
    symlinkSync('/etc/hostname', join(repo, 'site/leak.txt'));
    expect(() => buildManifest(repo, 'site')).toThrow(SyncSourceError);
    expect(() => buildManifest(repo, 'site')).toThrow(
      '"site/leak.txt" is a symlink leading outside the repository (to /etc/hostname); copy the file into the repository instead',
    );
  });

  it('refuses a source that is a symlink out, a dangling link, a linked directory and unsafe names', () => {
    symlinkSync('/etc', join(repo, 'out'));
    expect(() => buildManifest(repo, 'out')).toThrow(
      'sync source "out" leads outside the repository (to /etc)',
    );
    const dangling = join(repo, 'site/gone');
    symlinkSync('/nonexistent/x', dangling);
    expect(() => buildManifest(repo, 'site')).toThrow('"site/gone" is a symlink to nothing');
    rmSync(dangling);
    symlinkSync('js', join(repo, 'site/lib'));
    expect(() => buildManifest(repo, 'site')).toThrow('"site/lib" is a symlink to a directory (site/js)');
    rmSync(join(repo, 'site/lib'));
    writeFileSync(join(repo, 'site/bad\nname'), 'x');
    expect(() => buildManifest(repo, 'site')).toThrow(/a name with a control character/);
  });

  it('refuses a file as the source', () => {
    expect(() => buildManifest(repo, 'shared.css')).toThrow(
      'expected sync source "shared.css" to be a directory, got a file',
    );
  });
});

describe('buildManifest in a Git working tree', () => {
  let repo: string;
  const git = (...args: string[]) => execFileSync('git', ['-C', repo, ...args], { stdio: 'ignore' });
  beforeEach(() => {
    repo = mkdtempSync(join(tmpdir(), 'slipway-manifest-git-'));
    mkdirSync(join(repo, 'site'), { recursive: true });
    writeFileSync(join(repo, 'site/index.html'), '<h1>hi</h1>');
    writeFileSync(join(repo, '.gitignore'), '.env\nsite/secret.txt\n');
    writeFileSync(join(repo, '.env'), 'TOKEN=t0p-s3cret');
    writeFileSync(join(repo, 'site/secret.txt'), 'ignored');
    git('init', '-q');
    git('add', '.');
    git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'site');
  });
  afterEach(() => rmSync(repo, { recursive: true, force: true }));

  it('ships what the commit holds: no ignored file, no .git, from the site or the whole repository', () => {
    expect(Object.keys(buildManifest(repo, 'site').files)).toEqual(['index.html']);
    expect(Object.keys(buildManifest(repo, '.').files)).toEqual(['.gitignore', 'site/index.html']);
  });

  it('refuses a committed symlink to an ignored file', () => {
    symlinkSync('../.env', join(repo, 'site/env.txt'));
    git('add', 'site/env.txt');
    expect(() => buildManifest(repo, 'site')).toThrow(
      '"site/env.txt" is a symlink to .env, which the commit does not hold (ignored or untracked); point it at a committed file',
    );
  });
});
