import type { ExecuteOptions } from '../engine/executor.ts';
import { executeRun, InterruptedRunError, RunBusyError } from '../engine/executor.ts';
import type { Store } from '../store/store.ts';
import type { RunRecord } from '../store/types.ts';
import { errorMessage } from '../util/errors.ts';
import type { Service } from './server.ts';

/** What the worker loop needs. */
export interface WorkerOptions {
  store: Store;
  load: ExecuteOptions['load'];
  /** Runs executed at the same time (each still takes its environments' locks in turn). */
  concurrency: number;
  /** How often the store is looked at for queued and resumable runs. */
  pollMs: number;
  /** How long shutdown waits for running runs before leaving them to be found interrupted. */
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

  constructor(options: WorkerOptions) {
    this.#o = options;
  }

  start(): void {
    this.#timer = setInterval(() => this.tick(), this.#o.pollMs);
    this.tick();
  }

  /** Starts what can start now; returns the ids started. */
  tick(): number[] {
    if (this.#stopping) return [];
    const started: number[] = [];
    for (const run of this.#candidates()) {
      if (this.#active.size >= this.#o.concurrency) break;
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
    if (this.#active.size === 0) return;
    this.#o.log(
      `shutdown: waiting up to ${this.#o.graceMs} ms for run ${[...this.#active.keys()].join(', ')}`,
    );
    const grace = new Promise<'timeout'>((resolve) =>
      setTimeout(resolve, this.#o.graceMs, 'timeout').unref(),
    );
    if ((await Promise.race([this.idle(), grace])) === 'timeout') {
      // Each step's state is committed before it applies: the next process finds these runs interrupted.
      this.#o.log(`shutdown: run ${[...this.#active.keys()].join(', ')} still running; left to recovery`);
    }
  }

  /** Queued runs oldest first, then parked runs with no pending gate left (decided or expired). */
  #candidates(): RunRecord[] {
    const { runs, gates } = this.#o.store;
    const queued = runs.list({ status: ['queued'], limit: 100 }).reverse();
    const now = Date.now();
    const resumable = runs
      .list({ status: ['waiting'], limit: 100 })
      .reverse()
      .filter(
        (r) => !r.owner && gates.ofRun(r.id).every((g) => g.status !== 'pending' || g.expiresAt <= now),
      );
    return [...queued.filter((r) => !r.owner), ...resumable];
  }

  async #execute(runId: number): Promise<void> {
    try {
      const status = await executeRun({
        store: this.#o.store,
        runId,
        load: this.#o.load,
        actor: 'slipway serve',
        detach: true,
      });
      this.#o.log(`run ${runId}: ${status}`);
      this.#o.onRunSettled?.(runId, status);
    } catch (err) {
      if (err instanceof RunBusyError) return;
      this.#broken.add(runId);
      const message = errorMessage(err);
      this.#o.log(`run ${runId}: ${message}`);
      if (!(err instanceof InterruptedRunError)) this.#o.onRunSettled?.(runId, 'error');
    }
  }
}
