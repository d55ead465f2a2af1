import type { ReleaseLedger } from '../deploy/ledger.ts';
import type { Store } from '../store/store.ts';

/** The store's release ledger as a run's deploy steps see it: every release recorded against the run. */
export function runLedger(store: Store, runId: number): ReleaseLedger {
  return {
    record(r, config) {
      store.releases.record({
        environment: r.environment,
        host: r.host,
        app: r.app,
        releaseId: r.release,
        digest: r.digest,
        configHash: r.configHash,
        runId,
        ...(r.approvedBy?.length ? { approver: r.approvedBy.join(',') } : {}),
        createdAt: Date.parse(r.deployedAt),
        sha: r.sha,
        config,
        ...(r.restores ? { restores: r.restores } : {}),
      });
    },
    recorded: (id) => store.releases.get(id),
    lastRecorded: ({ environment, host, app }) =>
      store.releases.list(environment, { app, host, limit: 1 })[0]?.releaseId,
    recordBackup(b) {
      store.backups.record({
        environment: b.environment,
        host: b.host,
        app: b.app,
        service: b.service,
        backupId: b.backupId,
        path: b.path,
        bytes: b.bytes,
        durationMs: b.durationMs,
        reason: b.reason,
        ...(b.releaseId ? { releaseId: b.releaseId } : {}),
        runId,
      });
    },
    backupsRemoved: (where, ids) => store.backups.removed(where, ids),
    backup: (id) => store.backups.get(id),
  };
}

/** Logins that approved the latest gate in front of a job of a run. */
export function gateApprovers(store: Store, runId: number, job: string): string[] {
  const gate = store.gates.latest(runId, job);
  return (gate?.approvals ?? []).filter((a) => a.decision === 'approve').map((a) => a.login);
}
