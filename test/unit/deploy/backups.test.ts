import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { backupPath, isBackupId, pruneBackups } from '../../../src/deploy/backups.ts';
import * as cmd from '../../../src/deploy/commands.ts';
import { LocalTransport } from '../../../src/remote/local-transport.ts';

// The backup script and the pruning against real files through the local transport.
describe('backups on a host', () => {
  let root: string;
  const t = new LocalTransport('web1');
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'slipway-backups-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  // The backup argv with `docker exec CONTAINER` swapped for `sh -c SCRIPT`: the script's own behaviour.
  const backup = (file: string, script: string) => {
    const argv = cmd.backupTo(file, 'container', ['ignored']);
    argv.splice(5, 4, 'sh', '-c', script);
    return t.exec(argv);
  };

  it('writes what the command prints to a 0600 file and prints its size', async () => {
    const file = join(root, 'db.backup');
    const r = await backup(file, 'echo "CREATE TABLE notes"');
    expect(r).toMatchObject({ exitCode: 0, stdout: '19\n' });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('leaves no file, partial or whole, when the command fails, and passes on its exit code', async () => {
    const file = join(root, 'db.backup');
    const r = await backup(file, 'echo half; echo "disk full" >&2; exit 4');
    expect(r.exitCode).toBe(4);
    expect(r.stderr).toContain('disk full');
    expect(await readdir(root)).toEqual([]);
  });

  it('keeps the newest backups of a service and touches nothing it did not make', async () => {
    const dir = join(root, 'notes', 'backups', 'db');
    await mkdir(dir, { recursive: true });
    const ids = ['20260101-120000-db', '20260102-120000-db', '20260103-120000-db', '20260103-120000-db-2'];
    for (const id of ids) await writeFile(join(dir, `${id}.backup`), id);
    await writeFile(join(dir, 'notes.txt'), 'mine');
    expect(await pruneBackups(t, 'notes', root, 'db', 2)).toEqual(ids.slice(0, 2));
    expect((await readdir(dir)).sort()).toEqual([
      '20260103-120000-db-2.backup',
      '20260103-120000-db.backup',
      'notes.txt',
    ]);
  });

  it('refuses backup ids that could leave the backup directory', () => {
    expect(isBackupId('20260101-120000-db')).toBe(true);
    for (const bad of ['../../etc/shadow', '20260101-120000-db/../../x', '20260101-120000-..', 'db', ''])
      expect(() => backupPath('notes', root, 'db', bad)).toThrow(
        /expected a backup id like 20260101-120000-db/,
      );
  });
});
