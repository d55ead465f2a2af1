import type { ReleaseRecord } from '../deploy/release.ts';
import type { Store } from '../store/store.ts';

/** Records a release a deploy step made in the store's ledger (the same file every Slipway process reads). */
export function recordRelease(store: Store, runId: number, r: ReleaseRecord): void {
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
  });
}

/** Logins that approved the latest gate in front of a job of a run. */
export function gateApprovers(store: Store, runId: number, job: string): string[] {
  const gate = store.gates.latest(runId, job);
  return (gate?.approvals ?? []).filter((a) => a.decision === 'approve').map((a) => a.login);
}
