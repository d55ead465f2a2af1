import { openStore } from '../store/store.ts';
import type { RecordedConfig, ReleaseRecord as RecordedRelease } from '../store/types.ts';
import type { ReleaseRecord } from './release.ts';

/** Where a deploy records its releases and finds the one a rollback restores: the store's ledger, or a test's own. */
export interface ReleaseLedger {
  /** Records a release that went live, with the configuration a rollback to it would restore. */
  record(r: ReleaseRecord, config: RecordedConfig): void;
  /** A recorded release by its ledger id. */
  recorded(id: number): RecordedRelease | undefined;
  /** Logins that approved the gate in front of the running job. */
  approvers(runId: string, job: string): string[];
  close(): void;
}

/** The store's release ledger (the same file every Slipway process reads). */
export function storeLedger(repoRoot: string): ReleaseLedger {
  const store = openStore(repoRoot);
  const runNumber = (id: string) => (/^\d+$/.test(id) ? Number(id) : undefined);
  return {
    record(r, config) {
      const runId = runNumber(r.runId);
      store.releases.record({
        environment: r.environment,
        host: r.host,
        app: r.app,
        releaseId: r.release,
        digest: r.digest,
        configHash: r.configHash,
        ...(runId !== undefined ? { runId } : {}),
        ...(r.approvedBy?.length ? { approver: r.approvedBy.join(',') } : {}),
        createdAt: Date.parse(r.deployedAt),
        sha: r.sha,
        config,
        ...(r.restores ? { restores: r.restores } : {}),
      });
    },
    recorded: (id) => store.releases.get(id),
    approvers(runId, job) {
      const n = runNumber(runId);
      const gate = n === undefined ? undefined : store.gates.latest(n, job);
      return (gate?.approvals ?? []).filter((a) => a.decision === 'approve').map((a) => a.login);
    },
    close: () => store.close(),
  };
}
