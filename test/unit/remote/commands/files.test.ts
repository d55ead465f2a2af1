import { describe, expect, it } from 'vitest';
import * as files from '../../../../src/remote/commands/files.ts';
import { HOSTILE } from '../../../support/hostile-argv.ts';

// Golden argv: any change here changes what runs on every server, so it must be deliberate.

describe('file commands', () => {
  it('pins argv', () => {
    expect(files.rmTree('/srv/old')).toEqual(['rm', '-rf', '--', '/srv/old']);
    expect(files.cat('/etc/hostname')).toEqual(['cat', '--', '/etc/hostname']);
    const link = files.switchLink('/srv/releases/2', '/srv/current');
    expect(link.slice(0, 2)).toEqual(['sh', '-c']);
    expect(link.slice(3)).toEqual(['slipway-link', '/srv/releases/2', '/srv/current']);
    expect(() => files.switchLink('releases/2', '/srv/current')).toThrow();
    const write = files.atomicWrite('/srv/.env', { mode: 0o600, owner: 'deploy' });
    expect(write.slice(0, 2)).toEqual(['sh', '-c']);
    expect(write.slice(3)).toEqual(['slipway-write', '/srv/.env', '0600', 'deploy']);
  });

  it('refuses relative paths and removing /', () => {
    expect(() => files.cat('etc/passwd')).toThrow(/absolute/);
    expect(() => files.rmTree('/')).toThrow(/refusing/);
    expect(() => files.rmTree('//')).toThrow(/refusing/);
    expect(() => files.modeString(0o10000)).toThrow(/mode/);
  });

  it('formats modes and owners', () => {
    expect(files.modeString(0o644)).toBe('0644');
    expect(files.modeString(0o4755)).toBe('04755');
    expect(files.ownerSpec('a', 'b')).toBe('a:b');
    expect(files.ownerSpec(undefined, 'b')).toBe(':b');
    expect(files.ownerSpec('a')).toBe('a');
    expect(files.ownerSpec()).toBe('');
  });
});

describe('builders pass hostile values through as single argv elements', () => {
  it.each(HOSTILE.filter((h) => h !== ''))('%j', (value) => {
    expect(files.switchLink(`/${value}`, `/${value}`).slice(-2)).toEqual([`/${value}`, `/${value}`]);
    expect(files.cat(`/${value}`).at(-1)).toBe(`/${value}`);
  });
});
