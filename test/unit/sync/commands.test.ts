import { describe, expect, it } from 'vitest';
import * as sync from '../../../src/sync/commands.ts';
import { HOSTILE } from '../../support/hostile-argv.ts';

// Golden argv: any change here changes what runs on every server, so it must be deliberate.

describe('sync commands', () => {
  it('pins argv', () => {
    const state = sync.readSyncState('/srv/slipway/sync/www');
    expect(state.slice(0, 2)).toEqual(['sh', '-c']);
    expect(state[2]).toBe(
      [
        'set -eu',
        'if [ -e "$1/current/manifest.json" ]; then cat -- "$1/current/manifest.json"; fi',
        'echo',
        'if [ -d "$1/releases" ]; then ls -1t -- "$1/releases"; fi',
      ].join('\n'),
    );
    expect(state.slice(3)).toEqual(['slipway-sync-state', '/srv/slipway/sync/www']);
    expect(sync.makeStaging('/r/.staging-a')).toEqual([
      'sh',
      '-c',
      'set -eu\nrm -rf -- "$1"\nmkdir -p -- "$1/$2"',
      'slipway-sync-stage',
      '/r/.staging-a',
      'files',
    ]);
    expect(sync.untar('/r/.staging-a/files')).toEqual([
      'tar',
      '-x',
      '-m',
      '--no-same-owner',
      '-f',
      '-',
      '-C',
      '/r/.staging-a/files',
    ]);
    expect(sync.verifyChecksums('/r/x/files')).toEqual([
      'sh',
      '-c',
      'set -eu\ncd -- "$1"\nexec sha256sum --quiet --strict --check -',
      'slipway-sync-verify',
      '/r/x/files',
    ]);
    expect(sync.publish('/r/.staging-a', '/r/a')).toEqual(['mv', '-T', '--', '/r/.staging-a', '/r/a']);
    expect(sync.isRelease('/r/a')).toEqual(['test', '-f', '/r/a/manifest.json']);
    expect(sync.touchRelease('/r/a')).toEqual(['touch', '-c', '--', '/r/a']);
    expect(sync.removeRelease('/r', 'a1')).toEqual([
      'sh',
      '-c',
      'set -eu\ncd -- "$1"\nrm -rf -- .removing-*\nif [ -e "$2" ]; then mv -T -- "$2" ".removing-$2"; fi\nrm -rf -- .removing-*',
      'slipway-sync-remove',
      '/r',
      'a1',
    ]);
  });

  it('refuses a release id that is a path or a dot name', () => {
    for (const id of ['../x', 'a/b', '.removing-a', '', '-rf'])
      expect(() => sync.removeRelease('/r', id)).toThrow(/expected a release id/);
  });

  it('writes the checksum list sha256sum --check reads', () => {
    const files = {
      'index.html': { sha256: 'a'.repeat(64), size: 1, mode: 0o644 },
      'js/app.js': { sha256: 'b'.repeat(64), size: 2, mode: 0o644 },
    };
    expect(sync.checksumList({ id: 'x', files })).toBe(
      `${'a'.repeat(64)}  index.html\n${'b'.repeat(64)}  js/app.js\n`,
    );
  });

  it('refuses relative paths', () => {
    for (const build of [
      sync.readSyncState,
      sync.makeStaging,
      sync.untar,
      sync.verifyChecksums,
      sync.isRelease,
    ])
      expect(() => build('srv/x')).toThrow('expected an absolute path, got "srv/x"');
    expect(() => sync.publish('/a', 'b')).toThrow(/absolute/);
  });

  it.each(HOSTILE.filter((h) => h !== ''))('passes %j through as one argv element', (value) => {
    expect(sync.readSyncState(`/${value}`).at(-1)).toBe(`/${value}`);
    expect(sync.publish(`/${value}`, `/${value}/b`).slice(-2)).toEqual([`/${value}`, `/${value}/b`]);
    expect(sync.untar(`/${value}`).at(-1)).toBe(`/${value}`);
  });
});
