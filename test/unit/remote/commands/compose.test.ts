import { describe, expect, it } from 'vitest';
import * as compose from '../../../../src/remote/commands/compose.ts';
import * as files from '../../../../src/remote/commands/files.ts';
import { HOSTILE } from '../../../support/hostile-argv.ts';

// Golden argv: any change here changes what runs on every server, so it must be deliberate.
describe('compose commands', () => {
  const v2: compose.ComposeProject = { flavor: 'v2', name: 'web-prod', files: ['/srv/web/compose.yml'] };
  const v1: compose.ComposeProject = { ...v2, flavor: 'v1', directory: '/srv/web' };

  it('pins v2 argv', () => {
    expect(compose.detect('v2')).toEqual(['docker', 'compose', 'version', '--short']);
    const p = ['docker', 'compose', '--project-name', 'web-prod', '--file', '/srv/web/compose.yml'];
    expect(compose.up(v2)).toEqual([...p, 'up', '--detach', '--no-color', '--remove-orphans']);
    expect(compose.up(v2, { services: ['web'], removeOrphans: false })).toEqual([
      ...p,
      'up',
      '--detach',
      '--no-color',
      '--',
      'web',
    ]);
    expect(compose.down(v2, { volumes: true, timeoutSec: 3 })).toEqual([
      ...p,
      'down',
      '--remove-orphans',
      '--volumes',
      '--timeout',
      '3',
    ]);
  });

  it('pins v1 argv', () => {
    expect(compose.detect('v1')).toEqual(['docker-compose', 'version', '--short']);
    const p = [
      'docker-compose',
      '--project-name',
      'web-prod',
      '--file',
      '/srv/web/compose.yml',
      '--project-directory',
      '/srv/web',
    ];
    expect(compose.up(v1)).toEqual([...p, 'up', '--detach', '--no-color', '--remove-orphans']);
    expect(compose.down(v1)).toEqual([...p, 'down', '--remove-orphans']);
  });

  it('runs v1 with the setuptools distutils shim off where the stdlib distutils exists', () => {
    expect(compose.stdlibDistutils()).toEqual([
      'env',
      'SETUPTOOLS_USE_DISTUTILS=stdlib',
      'python3',
      '-W',
      'ignore',
      '-c',
      'import distutils.spawn, distutils.version',
    ]);
    expect(compose.up({ ...v1, stdlibDistutils: true }).slice(0, 5)).toEqual([
      'env',
      'SETUPTOOLS_USE_DISTUTILS=stdlib',
      'docker-compose',
      '--project-name',
      'web-prod',
    ]);
  });

  it('rejects project names compose would mangle, and missing files', () => {
    expect(() => compose.up({ ...v2, name: 'Web Prod' })).toThrow(/project name/);
    expect(() => compose.up({ ...v2, name: '-x' })).toThrow(/project name/);
    expect(() => compose.up({ ...v2, files: [] })).toThrow(/no compose file/);
  });
});

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
