// The ways into backups and restores: the service's commands (from the pipeline), the backup a restore
// names (from the command line or a ledger row), and the files a backup leaves on the host.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/cli/exit-codes.ts';
import { backupPath } from '../../src/deploy/backups.ts';
import * as cmd from '../../src/deploy/commands.ts';
import { LocalTransport } from '../../src/remote/local-transport.ts';
import { Store } from '../../src/store/store.ts';

const run = promisify(execFile);
const REPO = resolve(import.meta.dirname, '../..');

describe('backup and restore inputs', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'slipway-backup-inputs-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("passes a service's backup command to the container as argv: shell syntax in it stays text", async () => {
    const file = join(dir, 'db.backup');
    const marker = join(dir, 'pwned');
    const hostile = [`$(touch ${marker})`, `; touch ${marker}`, '`id`', "'", '"$HOME"'];
    const argv = cmd.backupTo(file, 'container', hostile);
    // `docker exec container` replaced by printf: what the container would receive, one argument a line.
    argv.splice(5, 3, 'printf', '%s\\n');
    const r = await new LocalTransport('web1').exec(argv);
    expect(r.exitCode).toBe(0);
    expect(await readFile(file, 'utf8')).toBe(`${hostile.join('\n')}\n`);
    expect(existsSync(marker)).toBe(false);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('never builds a path to a backup outside its service directory, whatever the ledger row says', () => {
    for (const id of [
      '../../../etc/shadow',
      '20260101-120000-db/../../../../etc/passwd',
      '/etc/passwd',
      '20260101-120000-\n',
    ])
      expect(() => backupPath('notes', '/srv/slipway/apps', 'db', id)).toThrow(/expected a backup id/);
  });

  it('refuses a restore of a backup the ledger does not hold, creating no run', async () => {
    const state = join(dir, 'state.db');
    new Store(state).close();
    const env = { ...process.env, SLIPWAY_STATE: state };
    const args = ['--repo', REPO, '--inventories', join(REPO, 'inventories', 'sandbox')];
    const r = await run(
      join(REPO, 'bin', 'slipway'),
      [...args, 'restore', 'dev', 'notes', '../../etc/shadow', '--detach'],
      {
        env,
        timeout: 30_000,
      },
    ).catch((e: { code: number; stderr: string }) => e);
    expect(r).toMatchObject({
      code: ExitCode.InvalidConfig,
      stderr: 'slipway: no backup ../../etc/shadow of notes in dev (see: slipway backups dev notes)\n',
    });
    const store = new Store(state);
    try {
      expect(store.runs.list({ limit: 10 })).toEqual([]);
    } finally {
      store.close();
    }
  });
});
