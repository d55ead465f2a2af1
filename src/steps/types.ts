import type { Inventory, OpsRepo, PipelineFile } from '../config/types.ts';
import type { Change, HostStatus } from '../core/changes.ts';
import type { ReleaseLedger } from '../deploy/ledger.ts';
import type { TransportPool } from '../remote/pool.ts';

/** What a step kind gets to work with; the engine builds it, steps never read YAML or the store directly. */
export interface StepContext {
  repo: OpsRepo;
  pipeline: PipelineFile;
  job: string;
  /** The job's environment, resolved from its inventory; undefined for runner-only jobs. */
  inventory?: Inventory;
  run: {
    id: string;
    sha: string;
    branch: string;
    author?: string;
    triggeredBy: string;
    /** Set on a rollback run: the recorded release (ledger row, id, digest) its deploy restores. */
    rollback?: { ledgerId: number; releaseId: string; digest: string; kind?: 'redeploy' };
    /** Set on a restore run: the ledger id of the backup its deploy step restores (no release is made). */
    restoreBackup?: number;
  };
  /** The checkout of the repository at `run.sha`. */
  workdir: string;
  /** Value of a pipeline secret; throws naming the secret (never its value) when it cannot be read. */
  secret(name: string): string;
  /** Run-wide outputs of earlier steps (e.g. `image.digest`), persisted with the run. */
  outputs: Readonly<Record<string, string>>;
  setOutput(key: string, value: string): void;
  /** A line of output for the run log; the engine masks secrets before storing it. */
  log(line: string, opts?: { host?: string; stream?: 'stdout' | 'stderr' }): void;
  hostStatus(host: string, status: HostStatus, detail?: string): void;
  /**
   * The run's connections: one transport (one SSH master) per host, shared by every step and gate re-plan of
   * the run. The engine closes them when the run ends or parks; steps never close them.
   */
  transports: TransportPool;
  /** The store's release ledger for this run: what a deploy records, what a rollback or a restore reads. */
  releases: ReleaseLedger;
  /** Logins that approved the gate in front of this job; empty when it had none. */
  approvers(): string[];
  /** Aborted on cancel or timeout: pass it to every child process and request. */
  signal: AbortSignal;
  /**
   * Registers a process group the step started (a child spawned with `detached: true`), so that if the runner
   * itself dies, the next process to look at the run kills what is left of it. Undefined during `plan`.
   */
  trackProcessGroup?(pgid: number | undefined): void;
}

/** What an applied step reports. */
export interface StepResult {
  changed: boolean;
  /** Per-host outcome, when the step touched hosts. */
  hosts?: Record<string, HostStatus>;
}

/** What a step kind does: `plan` says what would change, `apply` makes it so. Both must be safe to call again. */
export interface StepHandler<S> {
  plan(ctx: StepContext, step: S): Promise<Change[]>;
  apply(ctx: StepContext, step: S): Promise<StepResult>;
}
