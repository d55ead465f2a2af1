import type { ExecuteOptions } from '../engine/executor.ts';
import { executeRun, InterruptedRunError, RunBusyError } from '../engine/executor.ts';
import { stillWaitsForLock } from '../engine/lock-wait.ts';
import { expireUnwatchedGates, recoverAbandonedRuns } from '../engine/recovery.ts';
import type { Store } from '../store/store.ts';
import type { RunRecord } from '../store/types.ts';
import { checkedOutSha } from '../triggers/checkout.ts';
import { errorMessage } from '../util/errors.ts';
import type { Service } from './server.ts';

/** How often the worker looks for runs of dead processes and gates that expired unwatched. */
const RECOVER_EVERY_MS = 5_000;

/** How many runs of one status a tick looks at; runs set aside behind a lock are skipped cheaply. */
const CANDIDATES = 1_000;

/** What the worker loop needs. */
export interface WorkerOptions {
  store: Store;
  load: ExecuteOptions['load'];
  /** Runs executed at the same time; runs waiting for a lock or a gate are set aside and take no slot. */
  concurrency: number;
  /** How often the store is looked at for queued and resumable runs. */
  pollMs: number;
  /** How long shutdown waits for running steps before interrupting them. */
  graceMs: number;
  log(line: string): void;
  /** Told of every run the worker finished handling (status after it stopped or parked). */
  onRunSettled?(runId: number, status: string): void;
}

/**
 * Executes queued runs and resumes parked ones whose gates were decided (through any channel: CLI,
 * dashboard, forge comment), detached: a run waiting for a person parks in the store instead of holding
 * a slot. Runs are claimed through the store, so a run another process executes is left alone.
 */
export class Worker implements Service {
  readonly name = 'worker';
  readonly #o: WorkerOptions;
  readonly #active = new Map<number, Promise<void>>();
  /** Runs whose execution threw: not tried again by this process (a person looks at them). */
  readonly #broken = new Set<number>();
  #timer?: NodeJS.Timeout;
  #stopping = false;
  #recoveredAt = Number.NEGATIVE_INFINITY;
  #recovering: Promise<void> = Promise.resolve();
  readonly #shutdown = new AbortController();

  constructor(options: WorkerOptions) {
    this.#o = options;
  }

  start(): void {
    this.#timer = setInterval(() => this.tick(), this.#o.pollMs);
    this.tick();
  }

  /**
   * Records runs whose process died (their orphans stopped; runs that never started a step queued again) and
   * ends gates that expired unwatched: at start-up and every few seconds, not only when another run moves.
   */
  #recover(now = Date.now()): void {
    if (now - this.#recoveredAt < RECOVER_EVERY_MS) return;
    this.#recoveredAt = now;
    const { store, log } = this.#o;
    for (const id of expireUnwatchedGates(store, now)) log(`run ${id}: its gate expired unwatched`);
    this.#recovering = recoverAbandonedRuns(store, now).then(
      (ids) => {
        for (const id of ids) log(`run ${id}: its runner died; recorded as ${store.runs.get(id)?.status}`);
      },
      (err: unknown) => log(`recovery: ${errorMessage(err)} (tried again in ${RECOVER_EVERY_MS / 1000} s)`),
    );
  }

  /**
   * Starts what can start now; returns the ids started. Runs whose gates were decided come first and may take
   * every slot; queued runs leave one slot free (when there are two or more), so a decision never waits for
   * a slot behind new work.
   */
  tick(): number[] {
    if (this.#stopping) return [];
    try {
      this.#recover();
      return this.#startWhatCan();
    } catch (err) {
      // A busy or failing store must not kill the process: the next poll tries again.
      this.#o.log(`worker: ${errorMessage(err)} (tried again in ${this.#o.pollMs} ms)`);
      return [];
    }
  }

  #startWhatCan(): number[] {
    const started: number[] = [];
    const { resumable, queued } = this.#candidates();
    const forQueued = this.#o.concurrency > 1 ? this.#o.concurrency - 1 : 1;
    const candidates = [
      ...resumable.map((run) => ({ run, limit: this.#o.concurrency })),
      ...queued.map((run) => ({ run, limit: forQueued })),
    ];
    for (const { run, limit } of candidates) {
      if (this.#active.size >= limit) continue;
      if (this.#active.has(run.id) || this.#broken.has(run.id)) continue;
      const p = this.#execute(run.id).finally(() => {
        this.#active.delete(run.id);
        // A slot freed: look again at once instead of waiting for the next poll.
        if (!this.#stopping) this.tick();
      });
      this.#active.set(run.id, p);
      started.push(run.id);
    }
    return started;
  }

  /** Resolves when no run is executing. */
  async idle(): Promise<void> {
    while (this.#active.size) await Promise.allSettled([...this.#active.values()]);
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    clearInterval(this.#timer);
    await this.#recovering;
    if (this.#active.size === 0) return;
    this.#o.log(
      `shutdown: waiting up to ${this.#o.graceMs} ms for run ${[...this.#active.keys()].join(', ')}`,
    );
    const grace = new Promise<'timeout'>((resolve) =>
      setTimeout(resolve, this.#o.graceMs, 'timeout').unref(),
    );
    if ((await Promise.race([this.idle(), grace])) === 'timeout') {
      const runs = [...this.#active.keys()].join(', ');
      this.#o.log(`shutdown: run ${runs} still running after the grace period; interrupting`);
      // The engine stops their steps and records them interrupted (effect unknown), releasing their locks.
      this.#shutdown.abort(
        `slipway serve was stopped; the step was still running ${this.#o.graceMs / 1000} s later and was interrupted`,
      );
      await this.idle();
      this.#o.log(`shutdown: run ${runs} recorded as interrupted; resume them with --retry-interrupted`);
    }
  }

  /**
   * Parked runs with no pending gate left (decided or expired), and queued runs that can move (not set aside
   * behind another run's lock), each oldest first: environment queues are first-in first-out, none starves.
   */
  #candidates(): { resumable: RunRecord[]; queued: RunRecord[] } {
    const store = this.#o.store;
    const now = Date.now();
    const unowned = (status: 'queued' | 'waiting') =>
      store.runs
        .list({ status: [status], kind: 'pipeline', oldestFirst: true, limit: CANDIDATES })
        .filter((r) => !r.owner);
    const resumable = unowned('waiting').filter((r) =>
      store.gates.ofRun(r.id).every((g) => g.status !== 'pending' || g.expiresAt <= now),
    );
    return { resumable, queued: unowned('queued').filter((r) => !stillWaitsForLock(store, r.id)) };
  }

  async #execute(runId: number): Promise<void> {
    try {
      const run = this.#o.store.runs.get(runId)!;
      const status = await executeRun({
        store: this.#o.store,
        runId,
        load: this.#o.load,
        actor: 'slipway serve',
        detach: true,
        shutdown: this.#shutdown.signal,
        // A run the dashboard started executes in the served checkout, which may have moved since.
        checkoutSha: () => checkedOutSha(run.repoRoot, run.sha),
      });
      this.#o.log(`run ${runId}: ${status}`);
      this.#o.onRunSettled?.(runId, status);
    } catch (err) {
      if (err instanceof RunBusyError) return;
      // Another process's long write lock passes: the run is tried again at the next poll, not given up.
      if (!isStoreBusy(err)) this.#broken.add(runId);
      this.#o.log(`run ${runId}: ${errorMessage(err)}`);
      if (!(err instanceof InterruptedRunError)) this.#o.onRunSettled?.(runId, 'error');
    }
  }
}

/** SQLite's SQLITE_BUSY: another process held a write lock past the busy timeout. */
function isStoreBusy(err: unknown): boolean {
  return (err as { errcode?: number } | undefined)?.errcode === 5;
}
