import type { Change, HostStatus } from '../../core/changes.ts';

/** One run as the runs list shows it. */
export interface RunRow {
  id: string;
  pipeline: string;
  sha: string;
  branch: string;
  triggeredBy: string;
  /** Set on a rollback run: the release id it restores. */
  rollbackTo?: string;
  /** Set on a re-run: the id of the failed run it re-runs. */
  rerunOf?: string;
  /** A run of an app repository: the app, and the ops commit whose configuration it ran under. */
  app?: { name: string; opsSha: string };
  /** The rollback run is a redeploy of the live release. */
  redeploy?: boolean;
  status: string;
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
}

/** A vote already cast at a gate. */
export interface GateDecision {
  login: string;
  decision: 'approve' | 'reject';
  channel: string;
  reason?: string;
  at: number;
}

/** An approval gate in front of a job: what the approver is asked to accept, and who may say so. */
export interface GateView {
  runId: string;
  job: string;
  status: string;
  sha: string;
  planHash: string;
  changes: Change[];
  required: number;
  approvers: string[];
  decisions: GateDecision[];
  /** Set when the approvals were carried over from the run this one re-runs: that run's id, and why. */
  carriedFrom?: string;
  reason?: string;
  /** Whether the signed-in user may approve now, as the approval policy says; no Approve button otherwise. */
  canApprove: boolean;
  /** Whether the signed-in user may reject now (the policy allows it to approvers even where approving is not). */
  canReject: boolean;
  /** Why the policy refuses the viewer, shown instead of a missing button. */
  refusal?: string;
}

/** One job of a run, with its hosts and its gate. */
export interface JobView {
  name: string;
  needs: string[];
  status: string;
  environment?: string;
  startedAt?: number;
  finishedAt?: number;
  hosts: { host: string; status: HostStatus | string; detail?: string }[];
  gate?: GateView;
}

/** One line of a run's log, already masked by the engine. */
export interface LogLine {
  id: number;
  job?: string;
  host?: string;
  stream: string;
  line: string;
  at: number;
}

/** A run with everything the run page shows. */
export interface RunDetail extends RunRow {
  jobs: JobView[];
  logs: LogLine[];
  error?: string;
  /** Whether the signed-in user is offered a re-run of its failed jobs (the run failed; the server can). */
  canRerun?: boolean;
  /** The run's state version (see DashboardData.runState) when this was read. */
  version: string;
}

/** A release recorded by a deploy. */
export interface ReleaseRow {
  id: string;
  environment: string;
  host?: string;
  app: string;
  digest: string;
  runId?: string;
  by: string;
  at: number;
  current: boolean;
}

/** One row of the append-only audit log. */
export interface AuditRow {
  id: number;
  at: number;
  actor: string;
  channel: string;
  action: string;
  target: string;
  outcome: string;
  detail?: string;
}

/** Filters of the runs list, straight from the query string. */
export interface RunFilter {
  pipeline?: string;
  status?: string;
  branch?: string;
  triggeredBy?: string;
}

/** The last drift check of one pipeline in an environment, as the badge and the page show it. */
export interface DriftView {
  pipeline: string;
  status: 'clean' | 'drift' | 'failed';
  changes: number;
  at: number;
  sha: string;
  branch: string;
  /** The drift, one line per change. */
  lines: string[];
  reason?: string;
}

/** An environment in the list: its name and its drift badge (the worst of its pipelines' last checks). */
export interface EnvironmentSummary {
  name: string;
  drift?: DriftView;
}

/** One app on one host, read live: its release, digest, health and since when. */
export interface AppHostRow {
  app: string;
  host: string;
  release?: string;
  digest?: string;
  /** `healthy`, `starting`, `unhealthy`, `down`, `not deployed`, or `unreachable`. */
  health: string;
  /** When the release went live. */
  since?: number;
  services: { service: string; state: string; since?: number }[];
  /** Why the host could not be read. */
  error?: string;
}

/** Everything the environment page shows. */
export interface EnvironmentView {
  name: string;
  apps: AppHostRow[];
  /** Apps with a recorded release: the ones redeploy and roll back apply to. */
  releasedApps: string[];
  drift: DriftView[];
  /** Pipelines with jobs in this environment that may be started by hand. */
  pipelines: string[];
  /** Whether the viewer may start runs here (the policy in force); why not otherwise. */
  canStart: boolean;
  refusal?: string;
}
