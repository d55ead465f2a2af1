import type { DatabaseSync } from 'node:sqlite';
import type { HostStatus } from '../core/changes.ts';
import { transaction } from './database.ts';
import type { EventLog } from './events.ts';
import { opt, type Row } from './rows.ts';
import {
  type Channel,
  FINAL_JOB_STATUSES,
  FINAL_RUN_STATUSES,
  type JobRecord,
  type JobStatus,
  type Owner,
  type ProcessRef,
  type RunKind,
  type RunOrigin,
  type RunRecord,
  type RunStatus,
  type StepHostRecord,
  type StepRecord,
  type StepStatus,
} from './types.ts';

/** A run to create, with its jobs (in pipeline order) and their steps. */
export interface NewRun extends RunOrigin {
  jobs: { name: string; needs: string[]; environment?: string; steps: { kind: string; name: string }[] }[];
}

/** Filter and page of `list`. */
export interface RunQuery {
  status?: RunStatus[];
  pipeline?: string;
  kind?: RunKind;
  /** Only runs of this commit. */
  sha?: string;
  /** Only runs with an id below this (the next page of a newest-first listing). */
  beforeId?: number;
  /** Oldest first instead of newest first (the worker's first-in first-out order). */
  oldestFirst?: boolean;
  limit?: number;
}

/** Runs, their jobs, steps, per-host progress and outputs. */
export class Runs {
  readonly #db: DatabaseSync;
  readonly #events: EventLog;

  constructor(db: DatabaseSync, events: EventLog) {
    this.#db = db;
    this.#events = events;
  }

  /** Creates a queued run with its jobs and steps; returns its id. */
  create(input: NewRun, now = Date.now()): number {
    return transaction(this.#db, () => {
      const { lastInsertRowid } = this.#db
        .prepare(
          `INSERT INTO runs (pipeline, pipeline_file, repo_root, inventories_root, sha, branch, author_name, author_email,
             triggered_by, trigger_identity, channel, status, created_at, rollback_ledger_id, rollback_release,
             rollback_digest, kind, rerun_of, restore_backup, rollback_kind, app, ops_sha, ops_root)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          input.pipeline,
          input.pipelineFile,
          input.repoRoot,
          input.inventoriesRoot ?? null,
          input.sha,
          input.branch,
          input.authorName ?? null,
          input.authorEmail ?? null,
          input.triggeredBy,
          input.triggerIdentity ?? null,
          input.channel,
          now,
          input.rollback?.ledgerId ?? null,
          input.rollback?.releaseId ?? null,
          input.rollback?.digest ?? null,
          input.kind ?? 'pipeline',
          input.rerunOf ?? null,
          input.restoreBackup ?? null,
          input.rollback?.kind ?? null,
          input.app?.name ?? null,
          input.app?.opsSha ?? null,
          input.app?.opsRoot ?? null,
        );
      const runId = Number(lastInsertRowid);
      // A re-run starts from what the run it repeats recorded (the pushed digest): nothing is built again.
      if (input.rerunOf !== undefined) {
        this.#db
          .prepare(
            'INSERT INTO outputs (run_id, key, value) SELECT ?, key, value FROM outputs WHERE run_id = ?',
          )
          .run(runId, input.rerunOf);
      }
      const job = this.#db.prepare(
        `INSERT INTO jobs (run_id, name, position, needs, environment, status) VALUES (?, ?, ?, ?, ?, 'pending')`,
      );
      const step = this.#db.prepare(
        `INSERT INTO steps (run_id, job, idx, kind, name, status) VALUES (?, ?, ?, ?, ?, 'pending')`,
      );
      input.jobs.forEach((j, position) => {
        job.run(runId, j.name, position, JSON.stringify(j.needs), j.environment ?? null);
        j.steps.forEach((s, idx) => {
          step.run(runId, j.name, idx, s.kind, s.name);
        });
      });
      this.#events.append([
        {
          runId,
          kind: 'run',
          status: 'queued',
          text: runText(input),
        },
      ]);
      return runId;
    });
  }

  /** One run, or undefined. */
  get(id: number): RunRecord | undefined {
    const row = this.#db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as Row | undefined;
    return row && toRun(row);
  }

  /** A run and the runs it re-runs, newest first: the chain back to the run a push or person first started. */
  lineage(id: number): RunRecord[] {
    const chain: RunRecord[] = [];
    for (
      let run = this.get(id);
      run && chain.length < 1_000;
      run = run.rerunOf ? this.get(run.rerunOf) : undefined
    )
      chain.push(run);
    return chain;
  }

  /** Runs newest first (or oldest first), filtered and paged. */
  list(query: RunQuery = {}): RunRecord[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (query.status?.length) {
      where.push(`status IN (${query.status.map(() => '?').join(',')})`);
      args.push(...query.status);
    }
    if (query.pipeline) {
      where.push('pipeline = ?');
      args.push(query.pipeline);
    }
    if (query.kind) {
      where.push('kind = ?');
      args.push(query.kind);
    }
    if (query.sha) {
      where.push('sha = ?');
      args.push(query.sha);
    }
    if (query.beforeId !== undefined) {
      where.push('id < ?');
      args.push(query.beforeId);
    }
    const order = query.oldestFirst ? 'ASC' : 'DESC';
    const sql = `SELECT * FROM runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id ${order} LIMIT ?`;
    return (this.#db.prepare(sql).all(...args, query.limit ?? 50) as Row[]).map(toRun);
  }

  /** Runs that some process claims to be executing (for liveness checks). */
  owned(): RunRecord[] {
    return (this.#db.prepare('SELECT * FROM runs WHERE owner_pid IS NOT NULL').all() as Row[]).map(toRun);
  }

  /** Sets a run's status (and reason), stamping start/finish times; records an event. */
  setStatus(id: number, status: RunStatus, reason?: string, now = Date.now()): void {
    transaction(this.#db, () => {
      const final = FINAL_RUN_STATUSES.includes(status);
      this.#db
        .prepare(
          `UPDATE runs SET status = ?, reason = ?, started_at = COALESCE(started_at, CASE WHEN ? = 'running' THEN ? END),
             finished_at = CASE WHEN ? THEN ? ELSE NULL END WHERE id = ?`,
        )
        .run(status, reason ?? null, status, now, final ? 1 : 0, now, id);
      this.#events.append([{ runId: id, kind: 'run', status, text: reason, ts: now }]);
    });
  }

  /** Makes `owner` the executing process of a run, unless another process holds it; true when claimed. */
  claim(id: number, owner: Owner, now = Date.now()): boolean {
    const { changes } = this.#db
      .prepare(
        'UPDATE runs SET owner_pid = ?, owner_host = ?, owner_start = ?, heartbeat_at = ? WHERE id = ? AND owner_pid IS NULL',
      )
      .run(owner.pid, owner.host, owner.start, now, id);
    return changes === 1;
  }

  /** Gives a run up: no process executes it until someone claims it again. */
  disown(id: number, owner: Owner): void {
    this.#db
      .prepare(
        'UPDATE runs SET owner_pid = NULL, owner_host = NULL, owner_start = NULL WHERE id = ? AND owner_pid = ? AND owner_host = ?',
      )
      .run(id, owner.pid, owner.host);
  }

  /** Forgets the owner of a run whose process is gone. */
  clearOwner(id: number): void {
    this.#db
      .prepare('UPDATE runs SET owner_pid = NULL, owner_host = NULL, owner_start = NULL WHERE id = ?')
      .run(id);
  }

  /** Records that the owner is alive. */
  heartbeat(id: number, now = Date.now()): void {
    this.#db.prepare('UPDATE runs SET heartbeat_at = ? WHERE id = ?').run(now, id);
  }

  /** Records a cancel request; the executing process picks it up. False when the run was already final. */
  requestCancel(id: number, by: string, now = Date.now()): boolean {
    const { changes } = this.#db
      .prepare(
        `UPDATE runs SET cancel_requested_by = ?, cancel_requested_at = ?
           WHERE id = ? AND status NOT IN ('succeeded', 'failed', 'rejected', 'canceled', 'expired')`,
      )
      .run(by, now, id);
    return changes === 1;
  }

  /** Jobs of a run in pipeline order. */
  jobs(runId: number): JobRecord[] {
    return (
      this.#db.prepare('SELECT * FROM jobs WHERE run_id = ? ORDER BY position').all(runId) as Row[]
    ).map(toJob);
  }

  /** The status of each job of a run (a cheap poll for the scheduler). */
  jobStatuses(runId: number): Map<string, JobStatus> {
    const rows = this.#db.prepare('SELECT name, status FROM jobs WHERE run_id = ?').all(runId) as Row[];
    return new Map(rows.map((r) => [r.name as string, r.status as JobStatus]));
  }

  /** One job of a run, or undefined. */
  job(runId: number, name: string): JobRecord | undefined {
    const row = this.#db.prepare('SELECT * FROM jobs WHERE run_id = ? AND name = ?').get(runId, name) as
      | Row
      | undefined;
    return row && toJob(row);
  }

  /** Sets a job's status (and reason); records an event. */
  setJobStatus(runId: number, job: string, status: JobStatus, reason?: string, now = Date.now()): void {
    transaction(this.#db, () => {
      // An interrupted job may still be resumed, yet its attempt has ended: it gets a finish time too.
      const final = FINAL_JOB_STATUSES.includes(status) || status === 'interrupted';
      this.#db
        .prepare(
          `UPDATE jobs SET status = ?, reason = ?, started_at = COALESCE(started_at, CASE WHEN ? = 'running' THEN ? END),
             finished_at = CASE WHEN ? THEN ? ELSE NULL END WHERE run_id = ? AND name = ?`,
        )
        .run(status, reason ?? null, status, now, final ? 1 : 0, now, runId, job);
      this.#events.append([{ runId, kind: 'job', job, status, text: reason, ts: now }]);
    });
  }

  /** Notes that a job went through its job-level gate, so a resumed run does not ask again. */
  markGatePassed(runId: number, job: string): void {
    this.#db.prepare('UPDATE jobs SET gate_passed = 1 WHERE run_id = ? AND name = ?').run(runId, job);
  }

  /** Steps of a run (or of one job), in order. */
  steps(runId: number, job?: string): StepRecord[] {
    const rows = job
      ? this.#db.prepare('SELECT * FROM steps WHERE run_id = ? AND job = ? ORDER BY idx').all(runId, job)
      : this.#db
          .prepare(
            `SELECT s.* FROM steps s JOIN jobs j ON j.run_id = s.run_id AND j.name = s.job
               WHERE s.run_id = ? ORDER BY j.position, s.idx`,
          )
          .all(runId);
    return (rows as Row[]).map(toStep);
  }

  /**
   * Sets a step's status; `running` bumps the attempt and is committed before the step applies, so a crash
   * leaves evidence that the step may have had an effect.
   */
  setStepStatus(
    runId: number,
    job: string,
    idx: number,
    status: StepStatus,
    extra: { reason?: string; changed?: boolean } = {},
    now = Date.now(),
  ): void {
    transaction(this.#db, () => {
      if (status === 'running') {
        this.#db
          .prepare(
            `UPDATE steps SET status = 'running', attempt = attempt + 1, reason = NULL, started_at = ?, finished_at = NULL,
               child_pid = NULL, child_start = NULL WHERE run_id = ? AND job = ? AND idx = ?`,
          )
          .run(now, runId, job, idx);
      } else {
        const final = status !== 'pending';
        this.#db
          .prepare(
            `UPDATE steps SET status = ?, reason = ?, changed = ?, finished_at = CASE WHEN ? THEN ? ELSE NULL END
               WHERE run_id = ? AND job = ? AND idx = ?`,
          )
          .run(
            status,
            extra.reason ?? null,
            extra.changed === undefined ? null : Number(extra.changed),
            final ? 1 : 0,
            now,
            runId,
            job,
            idx,
          );
      }
      this.#events.append([{ runId, kind: 'step', job, step: idx, status, text: extra.reason, ts: now }]);
    });
  }

  /** Records the process group a step started, so it can be killed if its runner dies. */
  setStepChild(runId: number, job: string, idx: number, child: ProcessRef | undefined): void {
    this.#db
      .prepare('UPDATE steps SET child_pid = ?, child_start = ? WHERE run_id = ? AND job = ? AND idx = ?')
      .run(child?.pid ?? null, child?.start ?? null, runId, job, idx);
  }

  /** Sets a step's status on one host; records an event. */
  setHostStatus(
    runId: number,
    job: string,
    idx: number,
    host: string,
    status: HostStatus,
    detail?: string,
    now = Date.now(),
  ): void {
    transaction(this.#db, () => {
      const had = this.#db
        .prepare(
          'SELECT status, detail FROM step_hosts WHERE run_id = ? AND job = ? AND idx = ? AND host = ?',
        )
        .get(runId, job, idx, host) as { status: string; detail: string | null } | undefined;
      // A step and then the engine report a host's outcome, the engine without the step's detail: one
      // event per change, so logs show it once, and the step's detail stays.
      if (had && had.status === status && (detail === undefined || had.detail === detail)) return;
      this.#db
        .prepare(
          `INSERT INTO step_hosts (run_id, job, idx, host, status, detail, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (run_id, job, idx, host) DO UPDATE SET status = excluded.status, detail = excluded.detail,
             updated_at = excluded.updated_at`,
        )
        .run(runId, job, idx, host, status, detail ?? null, now);
      this.#events.append([{ runId, kind: 'host', job, step: idx, host, status, text: detail, ts: now }]);
    });
  }

  /** Hosts a deploy of the run rolled back to their previous release, each once. */
  rolledBackHosts(runId: number): string[] {
    const rows = this.#db
      .prepare(
        `SELECT DISTINCT host FROM step_hosts WHERE run_id = ? AND status = 'rolled-back' ORDER BY host`,
      )
      .all(runId) as Row[];
    return rows.map((r) => r.host as string);
  }

  /** Per-host progress of every step of a run. */
  hosts(runId: number): StepHostRecord[] {
    const rows = this.#db
      .prepare('SELECT * FROM step_hosts WHERE run_id = ? ORDER BY job, idx, host')
      .all(runId);
    return (rows as Row[]).map((r) => ({
      job: r.job as string,
      idx: r.idx as number,
      host: r.host as string,
      status: r.status as HostStatus,
      detail: opt(r.detail),
      updatedAt: r.updated_at as number,
    }));
  }

  /** Run outputs (e.g. `image.digest`), persisted so a resumed run still has them. */
  outputs(runId: number): Record<string, string> {
    const rows = this.#db.prepare('SELECT key, value FROM outputs WHERE run_id = ?').all(runId) as Row[];
    return Object.fromEntries(rows.map((r) => [r.key as string, r.value as string]));
  }

  /** Sets one run output. */
  setOutput(runId: number, key: string, value: string): void {
    this.#db
      .prepare(
        'INSERT INTO outputs (run_id, key, value) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET value = excluded.value',
      )
      .run(runId, key, value);
  }
}

/** The first event of a new run: what it is of. */
function runText(input: NewRun): string {
  if (input.rollback?.kind) return `redeploy of ${input.pipeline} of release ${input.rollback.releaseId}`;
  if (input.rollback) return `rollback of ${input.pipeline} to release ${input.rollback.releaseId}`;
  if (input.restoreBackup !== undefined)
    return `restore of ${input.pipeline} from backup ${input.restoreBackup}`;
  const jobs = input.jobs.map((j) => j.name).join(', ');
  if (input.rerunOf !== undefined) return `re-run of run ${input.rerunOf} at ${input.sha}: ${jobs}`;
  return `run of ${input.pipeline} at ${input.sha}`;
}

function toRun(r: Row): RunRecord {
  return {
    id: r.id as number,
    kind: r.kind as RunKind,
    pipeline: r.pipeline as string,
    pipelineFile: r.pipeline_file as string,
    repoRoot: r.repo_root as string,
    inventoriesRoot: opt(r.inventories_root),
    sha: r.sha as string,
    branch: r.branch as string,
    authorName: opt(r.author_name),
    authorEmail: opt(r.author_email),
    triggeredBy: r.triggered_by as string,
    triggerIdentity: opt(r.trigger_identity),
    channel: r.channel as Channel,
    status: r.status as RunStatus,
    reason: opt(r.reason),
    createdAt: r.created_at as number,
    startedAt: opt(r.started_at),
    finishedAt: opt(r.finished_at),
    owner:
      r.owner_pid === null
        ? undefined
        : { pid: r.owner_pid as number, host: r.owner_host as string, start: r.owner_start as string },
    heartbeatAt: opt(r.heartbeat_at),
    cancelRequestedBy: opt(r.cancel_requested_by),
    cancelRequestedAt: opt(r.cancel_requested_at),
    rollback:
      r.rollback_ledger_id === null
        ? undefined
        : {
            ledgerId: r.rollback_ledger_id as number,
            releaseId: r.rollback_release as string,
            digest: r.rollback_digest as string,
            ...(r.rollback_kind === 'redeploy' ? { kind: 'redeploy' as const } : {}),
          },
    rerunOf: opt(r.rerun_of),
    restoreBackup: opt(r.restore_backup),
    ...(r.app === null || r.app === undefined
      ? {}
      : { app: { name: r.app as string, opsSha: r.ops_sha as string, opsRoot: r.ops_root as string } }),
  };
}

function toJob(r: Row): JobRecord {
  return {
    runId: r.run_id as number,
    name: r.name as string,
    position: r.position as number,
    needs: JSON.parse(r.needs as string) as string[],
    environment: opt(r.environment),
    status: r.status as JobStatus,
    reason: opt(r.reason),
    gatePassed: r.gate_passed === 1,
    startedAt: opt(r.started_at),
    finishedAt: opt(r.finished_at),
  };
}

function toStep(r: Row): StepRecord {
  return {
    runId: r.run_id as number,
    job: r.job as string,
    idx: r.idx as number,
    kind: r.kind as string,
    name: r.name as string,
    status: r.status as StepStatus,
    attempt: r.attempt as number,
    reason: opt(r.reason),
    changed: r.changed === null ? undefined : r.changed === 1,
    child: r.child_pid === null ? undefined : { pid: r.child_pid as number, start: r.child_start as string },
    startedAt: opt(r.started_at),
    finishedAt: opt(r.finished_at),
  };
}
