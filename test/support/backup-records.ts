import type { Store } from '../../src/store/store.ts';

/** Records a backup of notes' db in prod taken before a release command (fields overridable), as a deploy would. */
export function recordBackup(store: Store, backupId: string, host = 'prod1'): number {
  return store.backups.record({
    environment: 'prod',
    host,
    app: 'notes',
    service: 'db',
    backupId,
    path: `/srv/slipway/apps/notes/backups/db/${backupId}.backup`,
    bytes: 2048,
    durationMs: 300,
    reason: 'before the release command',
    runId: 4,
    createdAt: Date.parse('2026-12-02T10:00:00Z'),
  });
}
