import type {
  AppHostRow,
  AuditRow,
  EnvironmentSummary,
  EnvironmentView,
  GateView,
  LogLine,
  ReleaseRow,
  RunDetail,
  RunFilter,
  RunRow,
} from './views/model.ts';

/** The outcome of a decision or a rollback request, as the policy and the engine report it. */
export type ActionResult = { ok: true; runId?: string; message?: string } | { ok: false; reason: string };

/** A rollback asked for from the releases page. */
export interface RollbackRequest {
  env: string;
  app: string;
  login: string;
}

/** A re-run of a failed run's failed jobs asked for from its page. */
export interface RerunRequest {
  runId: string;
  login: string;
}

/** A run of a pipeline asked for from an environment's page: its jobs there and what they need. */
export interface StartRequest {
  env: string;
  pipeline: string;
  login: string;
}

/** What the environment page reads live from the ops repository and the hosts. */
export interface LiveEnvironment {
  apps: AppHostRow[];
  /** Pipelines with jobs in the environment that may be started by hand (`on.manual`). */
  pipelines: string[];
}

/** What the dashboard reads and asks for; implemented over the store, the policy and the engine. */
export interface DashboardData {
  /** Runs newest first; `before` is the id of the last run of the previous page. */
  listRuns(filter: RunFilter, limit: number, before?: string): RunRow[];
  /** Names of the pipelines that have runs, for the filter. */
  pipelines(): string[];
  /** A run with its jobs, gates (with `canDecide` for `login`) and its last `logTail` log lines. */
  getRun(id: string, login: string, logTail: number): Promise<RunDetail | undefined>;
  /** Log lines after the cursor, oldest first. */
  logsAfter(runId: string, afterId: number, limit: number): LogLine[];
  /** A value that changes whenever anything the live part shows changes, and whether the run is over. */
  runState(runId: string): { version: string; final: boolean } | undefined;
  /** Open gates `login` may decide. */
  pendingGates(login: string): Promise<GateView[]>;
  releases(): ReleaseRow[];
  audit(limit: number): AuditRow[];
  /** Approve or reject a gate through the approval policy (channel `dashboard`); the policy audits it. */
  decide(req: {
    runId: string;
    job: string;
    login: string;
    decision: 'approve' | 'reject';
    reason?: string;
  }): Promise<ActionResult>;
  /** Starts a rollback run of `app` in `env` to its previous release, through the same gates as any deploy; absent when this server cannot. */
  rollback?(req: RollbackRequest): Promise<ActionResult>;
  /**
   * Starts a re-run of a failed run's failed jobs (same commit, its digest, its approvals where the plan is
   * unchanged) on behalf of `login`; absent when this server cannot.
   */
  rerun?(req: RerunRequest): Promise<ActionResult>;
  /** Starts a redeploy of the live release of `app` in `env` on every host (new containers), through the same gates. */
  redeploy?(req: RollbackRequest): Promise<ActionResult>;
  /** Starts a run of a pipeline's jobs in `env` (and what they need), through its gates. */
  startRun?(req: StartRequest): Promise<ActionResult>;
  /** Environments of the ops repository with their drift badges. */
  environments(): EnvironmentSummary[];
  /** One environment: what runs where (live when this server can read its hosts), drift, and what `login` may start; undefined for an unknown one. */
  environment(env: string, login: string): Promise<EnvironmentView | undefined>;
  /** Records a refused request (bad CSRF token, foreign origin, no session) in the audit log. */
  auditRefusal(entry: {
    actor: string;
    action: string;
    target: string;
    detail: string;
    runId?: string;
    job?: string;
  }): void;
}
