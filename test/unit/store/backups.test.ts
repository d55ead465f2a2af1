import { describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../../src/store/migrations.ts';
import { Store } from '../../../src/store/store.ts';

describe('the backups ledger', () => {
  const taken = {
    environment: 'prod',
    host: 'web1',
    app: 'notes',
    service: 'db',
    path: '/srv/slipway/apps/notes/backups/db/x.backup',
    bytes: 4096,
    durationMs: 250,
    reason: 'before the release command',
  };

  it('records backups with their run and release, lists them newest first and marks the pruned ones', () => {
    const store = new Store(':memory:');
    const first = store.backups.record({
      ...taken,
      backupId: '20261201-100000-db',
      runId: 3,
      releaseId: 'r1',
      createdAt: 1,
    });
    store.backups.record({ ...taken, backupId: '20261202-100000-db', createdAt: 2 });
    store.backups.record({ ...taken, app: 'web', backupId: '20261202-100000-db' });
    store.backups.removed(
      { environment: 'prod', host: 'web1', app: 'notes', service: 'db' },
      ['20261201-100000-db'],
      99,
    );
    const list = store.backups.list('prod', 'notes');
    expect(list.map((b) => [b.backupId, b.removedAt])).toEqual([
      ['20261202-100000-db', undefined],
      ['20261201-100000-db', 99],
    ]);
    expect(store.backups.get(first)).toEqual({
      ...taken,
      id: first,
      backupId: '20261201-100000-db',
      runId: 3,
      releaseId: 'r1',
      createdAt: 1,
      removedAt: 99,
    });
    store.close();
  });

  it('comes with a numbered migration: runs record the backup a restore run restores', () => {
    expect(MIGRATIONS[6]).toMatch(/CREATE TABLE backups/);
    const store = new Store(':memory:');
    const runId = store.runs.create({
      pipeline: 'notes',
      pipelineFile: 'pipelines/notes.yml',
      repoRoot: '/repo',
      sha: 'a'.repeat(40),
      branch: 'main',
      triggeredBy: 'alice',
      channel: 'cli',
      restoreBackup: 7,
      jobs: [
        { name: 'deploy-prod', needs: [], environment: 'prod', steps: [{ kind: 'deploy', name: 'deploy' }] },
      ],
    });
    expect(store.runs.get(runId)?.restoreBackup).toBe(7);
    expect(store.events.after(runId)[0]?.text).toBe('restore of notes from backup 7');
    store.close();
  });
});
