import { describe, expect, it } from 'vitest';
import * as compose from '../../../../src/remote/commands/compose.ts';

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

  it('pins the release command: a one-off container of a service, no TTY, no dependencies, removed after', () => {
    expect(compose.run(v2, 'web', ['/app/migrate', '--all'])).toEqual([
      ...['docker', 'compose', '--project-name', 'web-prod', '--file', '/srv/web/compose.yml'],
      ...['run', '--rm', '--no-deps', '-T', 'web', '/app/migrate', '--all'],
    ]);
    expect(compose.run(v1, 'web', ['migrate'])).toEqual([
      ...['docker-compose', '--project-name', 'web-prod', '--file', '/srv/web/compose.yml'],
      ...['--project-directory', '/srv/web', 'run', '--rm', '--no-deps', '-T', 'web', 'migrate'],
    ]);
    expect(() => compose.run(v2, 'web', [])).toThrow(/no command/);
  });
});
