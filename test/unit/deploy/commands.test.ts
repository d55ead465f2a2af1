import { describe, expect, it } from 'vitest';
import * as cmd from '../../../src/deploy/commands.ts';

// Golden argv of the backup commands: user data (file, container, the service's argv) only ever arrive as
// positional parameters of a constant script, never in the script's text.
describe('backup commands', () => {
  const file = '/srv/slipway/apps/notes/backups/db/20260101-120000-db.backup';

  it('pins the backup: stdout of docker exec into a 0600 file, renamed only on success', () => {
    const argv = cmd.backupTo(file, 'c0ffee', ['pg_dump', '-U', 'notes', 'notes; rm -rf /']);
    expect(argv.slice(0, 2)).toEqual(['sh', '-c']);
    expect(argv[2]).toBe(
      [
        'set -eu',
        'out=$1',
        'shift',
        'umask 077',
        'if "$@" > "$out.partial"; then mv -f -- "$out.partial" "$out"; else rc=$?; rm -f -- "$out.partial"; exit "$rc"; fi',
        'wc -c < "$out"',
      ].join('\n'),
    );
    expect(argv.slice(3)).toEqual([
      'slipway-backup',
      file,
      'docker',
      'exec',
      'c0ffee',
      'pg_dump',
      '-U',
      'notes',
      'notes; rm -rf /',
    ]);
  });

  it('pins the restore: the file on the stdin of docker exec -i', () => {
    expect(cmd.restoreFrom(file, 'c0ffee', ['psql', 'notes'])).toEqual([
      'sh',
      '-c',
      'set -eu\nin=$1\nshift\nexec "$@" < "$in"',
      'slipway-restore',
      file,
      'docker',
      'exec',
      '-i',
      'c0ffee',
      'psql',
      'notes',
    ]);
  });

  it('pins the private directory, file removal and file test, refusing relative paths', () => {
    expect(cmd.makePrivateDir('/srv/b')).toEqual(['mkdir', '-p', '-m', '0700', '--', '/srv/b']);
    expect(cmd.removeFiles(['/srv/b/1', '/srv/b/2'])).toEqual(['rm', '-f', '--', '/srv/b/1', '/srv/b/2']);
    expect(cmd.isFile('/srv/b/1')).toEqual(['test', '-f', '/srv/b/1']);
    for (const build of [
      () => cmd.backupTo('rel/x', 'c', ['a']),
      () => cmd.restoreFrom('rel/x', 'c', ['a']),
      () => cmd.makePrivateDir('rel'),
      () => cmd.removeFiles(['rel']),
    ])
      expect(build).toThrow(/expected an absolute path/);
  });
});
