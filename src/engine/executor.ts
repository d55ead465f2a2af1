import { planHash } from '../approvals/plan-hash.ts';
import {
  branchRefusal,
  jobGate,
  runPipelineKey,
  stepGate,
  type TrustedPolicy,
} from '../approvals/trusted-policy.ts';
import type { Job } from '../config/schema/pipeline.ts';
import type { OpsRepo, PipelineFile } from '../config/types.ts';
import { maskText } from '../logs/masker.ts';
import { LogWriter } from '../logs/writer.ts';
import { currentOwner, processRef } from '../process/identity.ts';
import { TransportPool } from '../remote/pool.ts';
import { type Step, stepHandler } from '../steps/kinds/index.ts';
import type { StepContext } from '../steps/types.ts';
import type { Store } from '../store/store.ts';
import {
  FINAL_JOB_STATUSES,
  FINAL_RUN_STATUSES,
  type GatePolicy,
  type JobStatus,
  type RunRecord,
  type RunStatus,
} from '../store/types.ts';
import { errorMessage } from '../util/errors.ts';
import { openFirstGate } from './carried-gate.ts';
import { stepContext } from './context.ts';
import { lockState, lockTimeoutFromEnv, lockWaitText } from './lock-wait.ts';
import { planSteps } from './plan.ts';
import { expireUnwatchedGates, recoverAbandonedRuns } from './recovery.ts';
import { gateApprovers, runLedger } from './run-ledger.ts';
import { processSources, type RunSecrets, resolveSecrets, valuesToMask } from './secrets.ts';

/** How a process executes (or continues) a stored run. */
export interface ExecuteOptions {
  store: Store;
  runId: number;
  /**
   * The typed ops repository and pipeline of the run (loaded again by whichever process continues it), and
   * the policy in force (the default branch) its gates and environment branches are taken from.
   */
  load(run: RunRecord): Promise<{ repo: OpsRepo; pipeline: PipelineFile; policy: TrustedPolicy }>;
  /** Who continues the run, for the audit trail of an explicit retry. */
  actor: string;
  /** Stop at the first gate that waits for a person, leaving the run stored, instead of waiting. */
  detach?: boolean;
  /** Apply again the steps a crashed runner left `interrupted` (an explicit decision of `actor`). */
  retryInterrupted?: boolean;
  /** Poll interval for cancel requests, locks and gates. */
  pollMs?: number;
  /** First retry delay; doubles with each attempt. */
  backoffMs?: number;
  /** The commit checked out in the workdir now; when it differs from an approval's, the approval is void. */
  checkoutSha?(): Promise<string | undefined>;
  /** Where secrets are read from (`{env}` and SLIPWAY_SECRETS_DIR for `{file}`); default: this process's. */
  env?: NodeJS.ProcessEnv;
  /**
   * Aborted when the runner shuts down past its grace period: running steps are stopped and recorded
   * `interrupted` (their effect is unknown), and the run releases its locks.
   */
  shutdown?: AbortSignal;
  /** How long a job waits for its environment's lock before failing (default: SLIPWAY_LOCK_TIMEOUT, else 1 h). */
  lockTimeoutMs?: number;
}

/** Another live process executes this run. */
export class RunBusyError extends Error {}

/** The run has interrupted steps and no explicit decision to apply them again. */
export class InterruptedRunError extends Error {}

type GateOutcome = 'passed' | 'parked' | 'rejected' | 'expired' | 'canceled';
/** A job set aside when detached: at its gate (`parked`) or behind another run's lock (`queued`). */
type JobOutcome = JobStatus | 'parked' | 'queued';
type StepOutcome = 'succeeded' | StopStatus;
/** How a run stopped early: canceled by someone, failed (its timeout), or interrupted by the runner's shutdown. */
type StopStatus = 'canceled' | 'failed' | 'interrupted';

const MAX_BACKOFF_MS = 60_000;

/**
 * Executes a stored run until it ends or parks at a gate: jobs run when their needs succeeded (independent
 * ones in parallel), a failure skips its dependents, environment locks are taken in queue order, gates bind
 * approvals to the commit and plan. Returns the run's status afterwards (`waiting` when parked).
 */
export async function executeRun(opts: ExecuteOptions): Promise<RunStatus> {
  const { store, runId } = opts;
  await recoverAbandonedRuns(store);
  const run = store.runs.get(runId);
  if (!run) throw new Error(`there is no run ${runId}`);
  if (FINAL_RUN_STATUSES.includes(run.status)) return run.status;
  if (run.kind === 'policy') {
    throw new Error(
      `run ${runId} is a change of policy: it is decided at its gate (slipway approve ${runId}), not executed`,
    );
  }
  const owner = currentOwner();
  if (!store.runs.claim(runId, owner)) {
    const o = store.runs.get(runId)!.owner;
    throw new RunBusyError(`run ${runId} is being executed by pid ${o?.pid} on ${o?.host}`);
  }
  try {
    prepareResume(store, run, opts);
    const loaded = await opts.load(run);
    return await new Execution(opts, run, loaded).execute();
  } finally {
    store.runs.disown(runId, owner);
  }
}

/** Resets what a previous process left mid-way, refusing to re-apply interrupted steps unless told to. */
function prepareResume(store: Store, run: RunRecord, opts: ExecuteOptions): void {
  const interrupted = store.runs.steps(run.id).filter((s) => s.status === 'interrupted');
  if (interrupted.length && !opts.retryInterrupted) {
    const list = interrupted.map((s) => `${s.job}[${s.idx}] ${s.name}`).join(', ');
    throw new InterruptedRunError(
      `run ${run.id} was interrupted during ${list}; its effect is unknown. ` +
        `Check the hosts, then resume with --retry-interrupted to apply it again, or cancel the run.`,
    );
  }
  store.transaction(() => {
    for (const s of interrupted) {
      store.runs.setStepStatus(run.id, s.job, s.idx, 'pending', {
        reason: `interrupted attempt ${s.attempt}; applying again as ${opts.actor} asked`,
      });
      store.gates.audit({
        runId: run.id,
        job: s.job,
        actor: opts.actor,
        channel: 'cli',
        action: 'retry-interrupted',
        outcome: 'accepted',
        reason: `step ${s.idx} (${s.name}) will be applied again`,
      });
    }
    for (const job of store.runs.jobs(run.id)) {
      if (!FINAL_JOB_STATUSES.includes(job.status) && job.status !== 'pending') {
        store.runs.setJobStatus(run.id, job.name, 'pending');
      }
    }
    // A resumed run goes back into the queues it left when its process died.
    const envs = store.runs
      .jobs(run.id)
      .flatMap((j) => (FINAL_JOB_STATUSES.includes(j.status) ? [] : (j.environment ?? [])));
    store.locks.enqueue(run.id, envs);
  });
}

class Execution {
  readonly #opts: ExecuteOptions;
  readonly #store: Store;
  readonly #run: RunRecord;
  readonly #repo: OpsRepo;
  readonly #pipeline: PipelineFile;
  readonly #policy: TrustedPolicy;
  readonly #secrets: RunSecrets;
  readonly #maskValues: string[];
  readonly #writer: LogWriter;
  readonly #abort = new AbortController();
  readonly #outputs: Record<string, string>;
  readonly #pollMs: number;
  readonly #lockTimeoutMs: number;
  /** One transport per host for the whole run (steps and gate re-plans), closed when it ends or parks. */
  readonly #transports: TransportPool;
  /** Why the whole run stops early: a cancel request (by whom) or the pipeline's timeout. */
  #stop: { status: StopStatus; reason: string } | undefined;

  constructor(
    opts: ExecuteOptions,
    run: RunRecord,
    { repo, pipeline, policy }: Awaited<ReturnType<ExecuteOptions['load']>>,
  ) {
    this.#opts = opts;
    this.#store = opts.store;
    this.#run = run;
    this.#repo = repo;
    this.#pipeline = pipeline;
    this.#policy = policy;
    const env = opts.env ?? process.env;
    this.#secrets = resolveSecrets(pipeline.pipeline, processSources(env));
    this.#maskValues = valuesToMask(repo, policy.project, this.#secrets.values(), env);
    this.#writer = new LogWriter(this.#store.events, run.id, this.#maskValues);
    this.#outputs = this.#store.runs.outputs(run.id);
    this.#pollMs = opts.pollMs ?? 250;
    this.#lockTimeoutMs = opts.lockTimeoutMs ?? lockTimeoutFromEnv(opts.env);
    // Relative key and known_hosts paths in inventory variables lead into the ops tree, also for an app.
    this.#transports = new TransportPool({ root: repo.opsRoot ?? repo.root });
  }

  async execute(): Promise<RunStatus> {
    const store = this.#store;
    const runId = this.#run.id;
    const watch = setInterval(() => this.#watchSafely(), this.#pollMs);
    const shutdown = this.#opts.shutdown;
    const onShutdown = () => this.#stopRun('interrupted', String(shutdown?.reason));
    if (shutdown?.aborted) onShutdown();
    shutdown?.addEventListener('abort', onShutdown);
    try {
      this.#watch();
      if (!this.#stop) store.runs.setStatus(runId, 'running');
      const aside = await this.#schedule();
      this.#writer.close();
      const status = this.#finalStatus(aside);
      if (status.status !== 'waiting' && status.status !== 'queued') {
        store.locks.release(runId, undefined, `run ${status.status}`);
      }
      store.runs.setStatus(runId, status.status, status.reason);
      return status.status;
    } catch (err) {
      // The engine itself broke (e.g. the store is unwritable): end the run rather than leave it `running`.
      this.#abort.abort(err);
      store.locks.release(runId, undefined, 'run failed');
      store.runs.setStatus(runId, 'failed', `slipway failed: ${this.#mask(errorMessage(err))}`);
      throw err;
    } finally {
      clearInterval(watch);
      shutdown?.removeEventListener('abort', onShutdown);
      this.#writer.close();
      await this.#transports.closeAll();
    }
  }

  /** The timer's watch: a busy store skips one beat (the next poll tries again) instead of killing the process. */
  #watchSafely(): void {
    try {
      this.#watch();
    } catch (err) {
      process.stderr.write(`slipway: run ${this.#run.id}: heartbeat: ${errorMessage(err)} (tried again)\n`);
    }
  }

  /** Heartbeat, and pick up a cancel request from any process. */
  #watch(): void {
    this.#store.runs.heartbeat(this.#run.id);
    const by = this.#store.runs.get(this.#run.id)?.cancelRequestedBy;
    if (by) this.#stopRun('canceled', `canceled by ${by}`);
    const timeout = this.#pipeline.pipeline.timeout;
    const started = this.#store.runs.get(this.#run.id)?.startedAt;
    if (timeout !== undefined && started !== undefined && Date.now() - started > timeout) {
      this.#stopRun('failed', `the pipeline timed out after ${seconds(timeout)}`);
    }
  }

  #stopRun(status: StopStatus, reason: string): void {
    if (this.#stop) return;
    this.#stop = { status, reason };
    this.#abort.abort(new Error(reason));
  }

  /**
   * Starts every job whose needs succeeded, until nothing more can start. Returns the jobs set aside: parked at
   * gates, or (detached) queued behind another run's lock, so that waiting never holds a worker slot.
   */
  async #schedule(): Promise<SetAside> {
    const store = this.#store;
    const runId = this.#run.id;
    const active = new Map<string, Promise<void>>();
    const parked = new Set<string>();
    const queued = new Set<string>();
    const definitions = store.runs.jobs(runId);
    const jobs = new Map(definitions.map((j) => [j.name, j]));
    for (;;) {
      // Needs and environments never change; only statuses are re-read (cheaply) on each pass.
      const statuses = store.runs.jobStatuses(runId);
      for (const job of definitions) job.status = statuses.get(job.name) ?? job.status;
      let progressed = false;
      for (const job of jobs.values()) {
        if (job.status !== 'pending' || active.has(job.name) || parked.has(job.name)) continue;
        if (queued.has(job.name)) continue;
        if (this.#stop?.status === 'interrupted') continue; // left pending: a resume runs it
        if (this.#stop) {
          store.runs.setJobStatus(runId, job.name, 'skipped', `run stopped: ${this.#stop.reason}`);
          progressed = true;
          continue;
        }
        const blocked = job.needs.find((n) => {
          const s = jobs.get(n)?.status;
          return (
            s !== undefined && s !== 'succeeded' && (FINAL_JOB_STATUSES.includes(s) || s === 'interrupted')
          );
        });
        if (blocked) {
          store.runs.setJobStatus(
            runId,
            job.name,
            'skipped',
            `needs ${blocked}, which ${jobs.get(blocked)!.status}`,
          );
          progressed = true;
          continue;
        }
        if (job.needs.every((n) => jobs.get(n)?.status === 'succeeded')) {
          const p = this.#runJob(job.name).then((outcome) => {
            active.delete(job.name);
            if (outcome === 'parked') parked.add(job.name);
            if (outcome === 'queued') queued.add(job.name);
            if (job.environment) this.#releaseUnneededLocks(new Set([...parked, ...queued]));
          });
          active.set(job.name, p);
          progressed = true;
        }
      }
      if (progressed) continue;
      if (active.size === 0) return { parked, queued };
      await Promise.race(active.values());
    }
  }

  #finalStatus({ parked, queued }: SetAside): { status: RunStatus; reason?: string } {
    if (this.#stop) return { status: this.#stop.status, reason: this.#stop.reason };
    if (parked.size)
      return { status: 'waiting', reason: `waiting for approval of ${[...parked].join(', ')}` };
    if (queued.size) {
      const first = this.#store.runs.job(this.#run.id, [...queued][0]!);
      return { status: 'queued', reason: first?.reason };
    }
    const jobs = this.#store.runs.jobs(this.#run.id);
    const first = (s: JobStatus) => jobs.find((j) => j.status === s);
    const failed = first('failed') ?? first('interrupted');
    if (failed) return { status: 'failed', reason: `${failed.name}: ${failed.reason ?? failed.status}` };
    const rejected = first('rejected');
    if (rejected) return { status: 'rejected', reason: `${rejected.name}: ${rejected.reason ?? 'rejected'}` };
    const expired = first('expired');
    if (expired) return { status: 'expired', reason: `${expired.name}: ${expired.reason ?? 'expired'}` };
    return { status: 'succeeded' };
  }

  /** Releases the lock of every environment no unfinished job of this run deploys to any more. */
  #releaseUnneededLocks(parked: Set<string>): void {
    const jobs = this.#store.runs.jobs(this.#run.id);
    const held = new Set(
      this.#store.locks
        .all()
        .filter((l) => l.runId === this.#run.id)
        .map((l) => l.environment),
    );
    for (const env of held) {
      const needed = jobs.some(
        (j) => j.environment === env && (parked.has(j.name) || !FINAL_JOB_STATUSES.includes(j.status)),
      );
      if (!needed) this.#store.locks.release(this.#run.id, env, 'no job of the run deploys there any more');
    }
  }

  async #runJob(name: string): Promise<JobOutcome> {
    const store = this.#store;
    const runId = this.#run.id;
    const job = this.#pipeline.pipeline.jobs[name]!;
    const record = store.runs.job(runId, name)!;
    try {
      if (job.environment) {
        const refusal = branchRefusal(this.#policy, this.#run.branch, job.environment);
        if (refusal) return this.#failJob(name, refusal);
        const lock = await this.#waitForLock(name, job.environment);
        if (lock !== 'held') return lock === 'canceled' ? this.#cancelJob(name) : lock;
      }
      const file = runPipelineKey(this.#repo.root, this.#pipeline.file, this.#run.app?.name);
      const gate = jobGate(this.#policy, file, name, job);
      if (gate && !record.gatePassed) {
        const outcome = await this.#gate(name, job, undefined, gate);
        if (outcome !== 'passed') return this.#gateOutcome(name, outcome);
        store.runs.markGatePassed(runId, name);
      }
      store.runs.setJobStatus(runId, name, 'running');
      const signal = job.timeout
        ? AbortSignal.any([this.#abort.signal, AbortSignal.timeout(job.timeout)])
        : this.#abort.signal;
      const steps = store.runs.steps(runId, name);
      for (const stepRecord of steps) {
        const idx = stepRecord.idx;
        if (stepRecord.status === 'succeeded' || stepRecord.status === 'skipped') continue;
        const step = job.steps[idx]!;
        if ('approval' in step) {
          const policy = stepGate(this.#policy, file, name, job, idx);
          if ('error' in policy) {
            store.runs.setJobStatus(runId, name, 'failed', policy.error);
            return 'failed';
          }
          const outcome = await this.#gate(name, job, idx, policy);
          if (outcome !== 'passed') return this.#gateOutcome(name, outcome);
          store.runs.setJobStatus(runId, name, 'running');
        }
        const outcome = await this.#runStep(name, job, idx, step, signal, job.timeout);
        if (outcome !== 'succeeded') {
          for (const later of steps.filter((s) => s.idx > idx)) {
            store.runs.setStepStatus(runId, name, later.idx, 'skipped', { reason: `step ${idx} ${outcome}` });
          }
          const reason = store.runs.steps(runId, name)[idx]!.reason;
          store.runs.setJobStatus(runId, name, outcome, reason);
          return outcome;
        }
      }
      store.runs.setJobStatus(runId, name, 'succeeded');
      return 'succeeded';
    } catch (err) {
      // A plan that cannot be computed, a store error: the job fails with the reason, the run goes on.
      return this.#failJob(name, this.#mask(errorMessage(err)));
    }
  }

  /** Fails a job that stopped outside its steps; steps it never reached say so instead of staying pending. */
  #failJob(name: string, reason: string): 'failed' {
    const runId = this.#run.id;
    for (const s of this.#store.runs.steps(runId, name).filter((x) => x.status === 'pending'))
      this.#store.runs.setStepStatus(runId, name, s.idx, 'skipped', { reason: `job failed: ${reason}` });
    this.#store.runs.setJobStatus(runId, name, 'failed', reason);
    return 'failed';
  }

  #cancelJob(name: string): JobStatus {
    const status = this.#stop?.status ?? 'canceled';
    this.#store.runs.setJobStatus(this.#run.id, name, status, this.#stop?.reason);
    return status;
  }

  #gateOutcome(name: string, outcome: Exclude<GateOutcome, 'passed'>): JobOutcome {
    if (outcome === 'canceled') return this.#cancelJob(name);
    return outcome;
  }

  /**
   * Waits until this run heads the environment's lock queue, saying who holds it and since when. Detached, it
   * sets the job aside (`queued`) instead, so the worker slot goes to a run that can move. Gives up with the
   * holder's name after the lock timeout.
   */
  async #waitForLock(job: string, env: string): Promise<'held' | 'queued' | 'failed' | 'canceled'> {
    const store = this.#store;
    const runId = this.#run.id;
    // A run set aside earlier may have left the queue (e.g. resumed after a restart): take its place again.
    store.locks.enqueue(runId, [env]);
    let shown = '';
    for (;;) {
      // The holder may have died or be parked past its gate's timeout: that frees the lock, with a record.
      await recoverAbandonedRuns(store);
      expireUnwatchedGates(store);
      const state = lockState(store, runId, env);
      if (state.held) return 'held';
      if ('gone' in state) throw new Error(`run ${runId} is not in the lock queue of ${env}`);
      if (state.waitedMs >= this.#lockTimeoutMs) {
        const reason = `gave up waiting for ${env} after ${seconds(this.#lockTimeoutMs)}: held by ${state.holder}`;
        store.runs.setJobStatus(runId, job, 'failed', reason);
        return 'failed';
      }
      const text = lockWaitText(env, state.holder);
      if (text !== shown) store.runs.setJobStatus(runId, job, 'queued', text);
      shown = text;
      if (this.#opts.detach) return 'queued';
      if (!(await this.#sleep(this.#pollMs))) return 'canceled';
    }
  }

  /**
   * Holds a job at its gate until the gate is approved for the current commit and plan, rejected, expired
   * or the run is canceled; parks instead of waiting when detached. An approval whose commit or plan no
   * longer matches when the job is about to start is void, and the gate opens again with the new plan.
   */
  async #gate(job: string, def: Job, step: number | undefined, policy: GatePolicy): Promise<GateOutcome> {
    const store = this.#store;
    const runId = this.#run.id;
    const from = step === undefined ? 0 : step + 1;
    const current = async () => {
      const plan = await planSteps(def.steps, from, (i) => this.#context(job, i, this.#abort.signal, true));
      const sha = (await this.#opts.checkoutSha?.()) ?? this.#run.sha;
      return { plan, sha, hash: planHash(sha, plan, this.#run.app?.opsSha) };
    };
    const round = (c: Awaited<ReturnType<typeof current>>) => ({
      runId,
      job,
      step,
      policy,
      plan: c.plan,
      planHash: c.hash,
      sha: c.sha,
      reachedAt: Date.now(),
    });
    const open = (c: Awaited<ReturnType<typeof current>>) => store.gates.open(round(c));

    let gate = store.gates.latest(runId, job, step);
    // Reached for the first time: a re-run takes over the approvals of the run it repeats where they stand.
    if (!gate) gate = openFirstGate(store, this.#run, round(await current()), this.#policy.project);
    else if (gate.status === 'void' || gate.status === 'canceled') gate = open(await current());
    else if (gate.status === 'pending') {
      const c = await current();
      if (c.hash !== gate.planHash) {
        store.gates.closeBySystem(
          gate,
          'void',
          c.sha !== gate.sha
            ? 'the commit changed while the gate waited'
            : 'the plan changed while the gate waited',
        );
        gate = open(c);
      }
    }
    let shown = '';
    for (;;) {
      gate = store.gates.get(gate.id)!;
      switch (gate.status) {
        case 'approved': {
          const c = await current();
          if (c.hash === gate.planHash) return 'passed';
          store.gates.closeBySystem(
            gate,
            'void',
            c.sha !== gate.sha
              ? `the commit changed since the approval (${gate.sha.slice(0, 12)} -> ${c.sha.slice(0, 12)})`
              : 'the plan changed since the approval',
          );
          gate = open(c);
          continue;
        }
        case 'rejected':
          store.runs.setJobStatus(runId, job, 'rejected', gate.reason);
          return 'rejected';
        case 'expired':
          store.runs.setJobStatus(runId, job, 'expired', gate.reason);
          return 'expired';
        case 'canceled':
        case 'void':
          return 'canceled';
        case 'pending': {
          if (Date.now() >= gate.expiresAt) {
            const waited = Math.round(gate.policy.timeoutMs / 1000);
            store.gates.closeBySystem(gate, 'expired', `no decision within ${waited}s`);
            continue;
          }
          const approvals = new Set(
            gate.approvals.filter((a) => a.decision === 'approve').map((a) => a.login),
          ).size;
          const text = `waiting for approval (${approvals} of ${policy.required}; approvers: ${policy.approvers.join(', ')})`;
          if (text !== shown) {
            store.runs.setJobStatus(runId, job, 'waiting', text);
            shown = text;
          }
          if (this.#opts.detach) return 'parked';
          if (!(await this.#sleep(this.#pollMs))) {
            store.gates.setStatus(gate.id, 'canceled', this.#stop?.reason);
            return 'canceled';
          }
        }
      }
    }
  }

  /** Applies one step with its declared retries (exponential backoff) and timeouts. */
  async #runStep(
    job: string,
    def: Job,
    idx: number,
    step: Step,
    jobSignal: AbortSignal,
    jobTimeout: number | undefined,
  ): Promise<StepOutcome> {
    const store = this.#store;
    const runId = this.#run.id;
    const handler = await stepHandler(step);
    const retries = step.retries ?? def.retries;
    for (let attempt = 0; ; attempt++) {
      if (jobSignal.aborted && this.#stop) {
        store.runs.setStepStatus(runId, job, idx, this.#stop.status, { reason: this.#stop.reason });
        return this.#stop.status;
      }
      // Committed before apply: if this process dies now, the step is found `running` and becomes interrupted.
      store.runs.setStepStatus(runId, job, idx, 'running');
      const stepTimeout = step.timeout ? AbortSignal.timeout(step.timeout) : undefined;
      const signal = stepTimeout ? AbortSignal.any([jobSignal, stepTimeout]) : jobSignal;
      try {
        const result = await handler.apply(this.#context(job, idx, signal, false), step);
        this.#writer.endStep(job, idx);
        for (const [host, status] of Object.entries(result.hosts ?? {})) {
          store.runs.setHostStatus(runId, job, idx, host, status);
        }
        store.runs.setStepStatus(runId, job, idx, 'succeeded', { changed: result.changed });
        return 'succeeded';
      } catch (err) {
        this.#writer.endStep(job, idx);
        if (this.#stop) {
          // Interrupted mid-apply (shutdown): its effect is unknown, so a resume never re-applies it silently.
          store.runs.setStepStatus(runId, job, idx, this.#stop.status, { reason: this.#stop.reason });
          return this.#stop.status;
        }
        const reason = this.#mask(
          jobSignal.aborted
            ? `the job timed out after ${seconds(jobTimeout)}`
            : stepTimeout?.aborted
              ? `timed out after ${seconds(step.timeout)}`
              : errorMessage(err),
        );
        if (attempt < retries && !jobSignal.aborted) {
          const delay = Math.min((this.#opts.backoffMs ?? 1_000) * 2 ** attempt, MAX_BACKOFF_MS);
          store.runs.setStepStatus(runId, job, idx, 'failed', {
            reason: `${reason}; retry ${attempt + 1} of ${retries} in ${seconds(delay)}`,
          });
          await this.#sleep(delay, jobSignal); // if aborted meanwhile, the next attempt records why
          continue;
        }
        store.runs.setStepStatus(runId, job, idx, 'failed', { reason });
        return 'failed';
      }
    }
  }

  #context(job: string, idx: number, signal: AbortSignal, planning: boolean): StepContext {
    const store = this.#store;
    const run = this.#run;
    return stepContext({
      repo: this.#repo,
      pipeline: this.#pipeline,
      job,
      run: {
        id: String(run.id),
        sha: run.sha,
        branch: run.branch,
        author: run.authorEmail ?? run.authorName,
        triggeredBy: run.triggeredBy,
        ...(run.rollback ? { rollback: run.rollback } : {}),
        ...(run.restoreBackup !== undefined ? { restoreBackup: run.restoreBackup } : {}),
      },
      workdir: run.repoRoot,
      secrets: this.#secrets,
      outputs: this.#outputs,
      setOutput: (key, value) => {
        store.runs.setOutput(run.id, key, value);
        this.#outputs[key] = value;
      },
      log: (line, o) =>
        this.#writer.line({ job, step: idx, stream: o?.stream ?? 'stdout', host: o?.host }, line),
      hostStatus: (host, status, detail) => {
        this.#writer.flush();
        store.runs.setHostStatus(run.id, job, idx, host, status, detail && this.#mask(detail));
      },
      transports: this.#transports,
      releases: runLedger(store, run.id),
      approvers: () => gateApprovers(store, run.id, job),
      signal,
      trackProcessGroup: planning
        ? undefined
        : (pgid) =>
            store.runs.setStepChild(run.id, job, idx, pgid === undefined ? undefined : processRef(pgid)),
    });
  }

  #mask(text: string): string {
    return maskText(text, this.#maskValues);
  }

  /** Sleeps; false when the run (or the given signal) was aborted first. */
  #sleep(ms: number, signal: AbortSignal = this.#abort.signal): Promise<boolean> {
    if (signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        resolve(ok);
      };
      const onAbort = () => done(false);
      const timer = setTimeout(() => done(true), ms);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}

function seconds(ms: number | undefined): string {
  return ms === undefined ? '?' : ms % 1000 === 0 ? `${ms / 1000}s` : `${(ms / 1000).toFixed(1)}s`;
}

/** Jobs a detached run set aside: parked at their gates, or queued behind another run's environment lock. */
interface SetAside {
  parked: Set<string>;
  queued: Set<string>;
}
