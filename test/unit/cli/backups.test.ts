import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../../../src/cli/exit-codes.ts';
import { Store } from '../../../src/store/store.ts';
import { recordBackup } from '../../support/backup-records.ts';
import { ON_SANDBOX_INVENTORIES, slipway } from '../../support/slipway-cli.ts';

// `slipway backups` and `slipway restore` on this checkout's sample repository (pipelines/notes.yml) with a
// ledger of its own (the restore run itself: test/unit/engine/restore-run.test.ts).
describe('slipway backups and restore', () => {
  let dir: string;
  let state: string;
  const cli = (...args: string[]) => slipway([...ON_SANDBOX_INVENTORIES, ...args], { SLIPWAY_STATE: state });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'slipway-cli-backups-'));
    state = join(dir, 'state.db');
    const store = new Store(state);
    try {
      recordBackup(store, '20261201-100000-db');
      recordBackup(store, '20261202-100000-db');
      store.backups.removed({ environment: 'prod', host: 'prod1', app: 'notes', service: 'db' }, [
        '20261201-100000-db',
      ]);
    } finally {
      store.close();
    }
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('lists the backups still on their hosts, newest first, and with --all the removed ones', async () => {
    const list = await cli('backups', 'prod', 'notes');
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(
      /^2 +20261202-100000-db +db +prod1 +2\.0 KiB +4 .* before the release command$/m,
    );
    expect(list.stdout).not.toContain('20261201-100000-db');
    expect(list.stdout).toContain('restore one with: slipway restore prod notes BACKUP');
    const all = await cli('backups', 'prod', 'notes', '--all', '--json');
    expect(
      JSON.parse(all.stdout).map((b: { backupId: string; removedAt?: number }) => [
        b.backupId,
        !!b.removedAt,
      ]),
    ).toEqual([
      ['20261202-100000-db', false],
      ['20261201-100000-db', true],
    ]);
    expect((await cli('backups', 'dev', 'notes')).stdout).toBe('no backups of notes in dev');
  });

  it('refuses a backup that was removed from its host, or that was never taken, creating no run', async () => {
    const gone = await cli('restore', 'prod', 'notes', '20261201-100000-db', '--detach');
    expect(gone.stderr).toContain('backup 20261201-100000-db of notes in prod was removed from its host');
    expect(gone.code).toBe(ExitCode.InvalidConfig);
    const never = await cli('restore', 'prod', 'notes', '20261203-100000-db', '--detach');
    expect(never.stderr).toBe(
      'slipway: no backup 20261203-100000-db of notes in prod (see: slipway backups prod notes)',
    );
    expect((await cli('runs')).stdout).not.toMatch(/restore/);
  });
});
