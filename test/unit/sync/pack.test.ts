import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildManifest } from '../../../src/sync/manifest.ts';
import { packManifest } from '../../../src/sync/pack.ts';

describe('packManifest', () => {
  let repo: string;
  beforeEach(() => {
    repo = mkdtempSync(join(tmpdir(), 'slipway-pack-'));
    mkdirSync(join(repo, 'site/js'), { recursive: true });
    writeFileSync(join(repo, 'site/index.html'), 'hi');
    writeFileSync(join(repo, 'site/js/run.sh'), '#!/bin/sh');
    chmodSync(join(repo, 'site/js/run.sh'), 0o700);
    writeFileSync(join(repo, 'shared.css'), 'body{}');
    symlinkSync('../shared.css', join(repo, 'site/style.css'));
  });
  afterEach(() => rmSync(repo, { recursive: true, force: true }));

  it("holds exactly the manifest's files, links followed, with its modes and root as owner", async () => {
    const tar = join(repo, 'out.tar');
    writeFileSync(tar, await buffer(packManifest(join(repo, 'site'), buildManifest(repo, 'site'))));
    const listing = execFileSync('tar', ['-tvf', tar, '--numeric-owner'], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map((l) => {
        const [mode, owner, size, , , name] = l.split(/\s+/);
        return `${mode} ${owner} ${size} ${name}`;
      });
    expect(listing).toEqual([
      '-rw-r--r-- 0/0 2 index.html',
      '-rwxr-xr-x 0/0 9 js/run.sh',
      '-rw-r--r-- 0/0 6 style.css',
    ]);
    const out = join(repo, 'x');
    mkdirSync(out);
    execFileSync('tar', ['-xf', tar, '-C', out]);
    expect(readFileSync(join(out, 'style.css'), 'utf8')).toBe('body{}');
  });
});
