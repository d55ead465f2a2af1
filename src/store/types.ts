import type { Change, HostStatus } from '../core/changes.ts';

/** Where a run stands. `waiting`: held at an approval gate; `interrupted`: its process died mid-step. */
export type RunStatus =
  | 'queued'
  | 'running'
  | 'waiting'
  | 'succeeded'
  | 'failed'
  | 'rejected'
  | 'canceled'
  | 'expired'
  | 'interrupted';

/** Where a job stands; `queued` waits for its environment's lock, `waiting` for its approval gate. */
export type JobStatus =
  | 'pending'
  | 'queued'
  | 'waiting'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'skipped'
  | 'rejected'
  | 'canceled'
  | 'expired'
  | 'interrupted';

/** Where a step stands; `interrupted` means it was running when its process died: its effect is unknown. */
export type StepStatus =
  | 'pending'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'skipped'
  | 'canceled'
  | 'interrupted';

/** Run statuses after which nothing more happens. */
export const FINAL_RUN_STATUSES: readonly RunStatus[] = [
  'succeeded',
  'failed',
  'rejected',
  'canceled',
  'expired',
];

/** Job statuses after which the job does nothing more. */
export const FINAL_JOB_STATUSES: readonly JobStatus[] = [
  'succeeded',
  'failed',
  'skipped',
  'rejected',
  'canceled',
  'expired',
];

/** The process that executes a run: pid + host + the pid's start time, so a reused pid is not mistaken for it. */
export interface Owner extends ProcessRef {
  host: string;
}

/** A process on this host: pid + its start time (so a reused pid does not count as the same process). */
export interface ProcessRef {
  pid: number;
  start: string;
}

/** Channel through which a person acts. */
export type Channel = 'cli' | 'dashboard' | 'forge' | 'system';

/**
 * A run of a pipeline, or a proposed change of the default branch's policy: a run with one job whose gate
 * ratifies it (never executed; decided at its gate).
 */
export type RunKind = 'pipeline' | 'policy';

/** What a run is of and who started it, as given when the run is created. */
export interface RunOrigin {
  /** Absent: a pipeline run. */
  kind?: RunKind;
  pipeline: string;
  pipelineFile: string;
  repoRoot: string;
  inventoriesRoot?: string;
  sha: string;
  branch: string;
  authorName?: string;
  authorEmail?: string;
  triggeredBy: string;
  /** Who started the run as its channel saw them (`github:alice-gh`, `os:root`); absent for polls. */
  triggerIdentity?: string;
  channel: Channel;
  /** Set on a rollback run: the release it restores (ledger row, id, digest) instead of what a push recorded. */
  rollback?: RollbackOf;
  /** Set on a restore run: the ledger row of the backup it restores (instead of deploying a release). */
  restoreBackup?: number;
  /** Set on a re-run: the failed run whose failed jobs (and their dependents) it executes again. */
  rerunOf?: number;
  /** Set on a run of an app repository: the app, and the ops commit whose configuration it runs under. */
  app?: AppOrigin;
}

/** The ops side of an app repository's run: `sha` and `repoRoot` are the app's commit and its tree. */
export interface AppOrigin {
  /** The registered name (slipway.yml `apps`). */
  name: string;
  /** The ops commit whose slipway.yml, inventories and infra/ were used. */
  opsSha: string;
  /** That commit's tree. */
  opsRoot: string;
}

/** The recorded release a rollback run restores. */
export interface RollbackOf {
  /** The release's row in the ledger (its compose file and configuration). */
  ledgerId: number;
  releaseId: string;
  digest: string;
  /** `redeploy`: the live release again, on every host, new containers (absent: a rollback to an earlier one). */
  kind?: 'redeploy';
}

/** A run as stored. */
export interface RunRecord extends RunOrigin {
  id: number;
  kind: RunKind;
  status: RunStatus;
  reason?: string;
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  owner?: Owner;
  heartbeatAt?: number;
  cancelRequestedBy?: string;
  cancelRequestedAt?: number;
}

/** A job of a run as stored. */
export interface JobRecord {
  runId: number;
  name: string;
  position: number;
  needs: string[];
  environment?: string;
  status: JobStatus;
  reason?: string;
  gatePassed: boolean;
  startedAt?: number;
  finishedAt?: number;
}

/** A step of a job as stored. */
export interface StepRecord {
  runId: number;
  job: string;
  idx: number;
  kind: string;
  name: string;
  status: StepStatus;
  attempt: number;
  reason?: string;
  changed?: boolean;
  /** The process group the step started, while it runs. */
  child?: ProcessRef;
  startedAt?: number;
  finishedAt?: number;
}

/** Progress of one step on one host. */
export interface StepHostRecord {
  job: string;
  idx: number;
  host: string;
  status: HostStatus;
  detail?: string;
  updatedAt: number;
}

/** A run with everything under it, for `show`, the live tree and the dashboard. */
export interface RunDetail {
  run: RunRecord;
  jobs: JobRecord[];
  steps: StepRecord[];
  hosts: StepHostRecord[];
  gates: GateRecord[];
  outputs: Record<string, string>;
}

/** What an event is about: a log line, or a status change of a run, job, step, host, gate or lock. */
export type EventKind = 'log' | 'run' | 'job' | 'step' | 'host' | 'gate' | 'lock';

/** One event of a run; ids grow monotonically, so `after id` is a cursor for live following. */
export interface RunEvent {
  id: number;
  runId: number;
  ts: number;
  kind: EventKind;
  job?: string;
  step?: number;
  host?: string;
  stream?: 'stdout' | 'stderr';
  status?: string;
  text?: string;
}

/** An event to append; id and (by default) ts are assigned by the store. */
export type NewEvent = Omit<RunEvent, 'id' | 'ts'> & { ts?: number };

/** A gate's decision state. `void`: approved, but the plan or commit changed before the job started. */
export type GateStatus = 'pending' | 'approved' | 'rejected' | 'expired' | 'void' | 'canceled';

/** The approval policy a gate was reached with (durations already in ms). */
export interface GatePolicy {
  approvers: string[];
  required: number;
  allowSelfApproval: boolean;
  waitMs: number;
  timeoutMs: number;
}

/** One round of an approval gate in front of a job (step undefined) or an `approval` step. */
export interface GateRecord {
  id: number;
  runId: number;
  job: string;
  step?: number;
  round: number;
  status: GateStatus;
  policy: GatePolicy;
  plan: PlannedStep[];
  planHash: string;
  sha: string;
  reachedAt: number;
  opensAt: number;
  expiresAt: number;
  decidedAt?: number;
  reason?: string;
  approvals: ApprovalRecord[];
  /** Set when the approvals were carried over from a gate of the run this one re-runs (same commit and plan). */
  carriedFrom?: { gateId: number; runId: number };
}

/** The changes one step would make, as shown at a gate. */
export interface PlannedStep {
  step: number;
  kind: string;
  name: string;
  changes: Change[];
}

/** An accepted decision on a gate, bound to the commit and plan it was given for. */
export interface ApprovalRecord {
  id: number;
  gateId: number;
  login: string;
  channel: Channel;
  decision: 'approve' | 'reject';
  sha: string;
  planHash: string;
  reason?: string;
  at: number;
}

/** One line of the append-only audit trail: every decision, refusal, void, cancel and lock recovery. */
export interface AuditRecord {
  id: number;
  at: number;
  runId?: number;
  gateId?: number;
  job?: string;
  actor: string;
  channel: Channel;
  action: string;
  outcome: 'accepted' | 'refused' | 'recorded';
  reason?: string;
}

/** A release of an app on one host: what `rollback` goes back to. */
export interface ReleaseRecord {
  id: number;
  environment: string;
  host: string;
  app: string;
  releaseId: string;
  digest: string;
  configHash: string;
  runId?: number;
  approver?: string;
  createdAt: number;
  /** The commit the release was built from (absent on releases recorded before Slipway kept it). */
  sha?: string;
  /** What a rollback needs to restore the release exactly; absent on releases recorded before. */
  config?: RecordedConfig;
  /** The release id this one restored, when it was a rollback. */
  restores?: string;
}

/** A backup of a stateful service on a host, as the ledger records it. */
export interface BackupRecord {
  id: number;
  environment: string;
  host: string;
  app: string;
  service: string;
  backupId: string;
  /** The file on the host (mode 0600). */
  path: string;
  bytes: number;
  durationMs: number;
  /** The change it was taken before, e.g. `before the release command`. */
  reason: string;
  /** The release attempt it was taken for (absent for a restore's safety backup). */
  releaseId?: string;
  runId?: number;
  createdAt: number;
  /** When it was pruned from the host (beyond the service's `keep`). */
  removedAt?: number;
}

/** A release's configuration as recorded: secrets by name only, their values are resolved again. */
export interface RecordedConfig {
  composeFile: string;
  compose: string;
  env: Record<string, string>;
  /** The deploy step's secrets mapping (VARIABLE: secret name): names only, values are resolved again. */
  secrets: Record<string, string>;
}

/** One place in an environment's lock queue; the lowest seq holds the lock. */
export interface LockEntry {
  seq: number;
  environment: string;
  runId: number;
  requestedAt: number;
}

/** What a drift check found in one environment: nothing, drift, or no answer (the plan failed). */
export type DriftStatus = 'clean' | 'drift' | 'failed';

/** The planned steps of one job, as a drift check keeps them. */
export interface PlannedJob {
  job: string;
  steps: PlannedStep[];
}

/** One scheduled plan of a pipeline in one environment (`on.schedule` with `mode: plan`). */
export interface DriftCheckRecord {
  id: number;
  pipeline: string;
  environment: string;
  sha: string;
  branch: string;
  checkedAt: number;
  status: DriftStatus;
  /** How many changes the plan holds (0 unless drift). */
  changes: number;
  plan: PlannedJob[];
  /** A hash of the changes: the same drift found again has the same fingerprint. */
  fingerprint: string;
  /** Why the check failed. */
  reason?: string;
}
