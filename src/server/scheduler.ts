import type { ScheduleEntry } from '../config/schema/pipeline.ts';
import { type Cron, localTimeZone, nextFire, parseCron } from '../util/cron.ts';
import { errorMessage } from '../util/errors.ts';
import { formatTime } from '../util/format.ts';
import type { HeadTriggerOptions } from './poller.ts';
import type { Service } from './server.ts';

/** What a schedule delivery carries to the processor. */
export interface SchedulePayload {
  pipeline: string;
  /** The entry's place in `on.schedule`. */
  index: number;
  branch: string;
  sha: string;
  mode: ScheduleEntry['mode'];
  /** ISO time the entry was due. */
  at: string;
}

/** What the schedule trigger needs: the pipelines with `on.schedule`, and a clock. */
export interface SchedulerOptions extends HeadTriggerOptions {
  now?(): Date;
}

/** setTimeout's longest delay; a later time is waited for in steps. */
const MAX_DELAY_MS = 2 ** 31 - 1;

/**
 * The schedule trigger: each `on.schedule` entry fires at the wall-clock times of its cron expression in
 * the runner's time zone. A due entry becomes a delivery `schedule:<pipeline>:<index>:<time>` holding the
 * branch's head, so the processor queues its run (or drift check) once, even across restarts; a time
 * that passed while the server was down is not made up.
 */
export class Scheduler implements Service {
  readonly name = 'scheduler';
  readonly #o: SchedulerOptions;
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #inFlight = new Set<Promise<void>>();
  readonly #abort = new AbortController();

  constructor(options: SchedulerOptions) {
    this.#o = options;
  }

  #now(): Date {
    return this.#o.now?.() ?? new Date();
  }

  /** Arms every entry for its next time, saying when that is and in which time zone. */
  start(): void {
    for (const file of this.#o.pipelines) {
      (file.pipeline.on.schedule ?? []).forEach((entry, index) => {
        const cron = parseCron(entry.cron);
        const next = this.#arm(file.pipeline.name, index, entry, cron, this.#now());
        this.#o.log(
          `schedule ${file.pipeline.name}[${index}] "${entry.cron}" (${entry.mode} of ${entry.branch}): ` +
            (next ? `next ${localTime(next)} ${localTimeZone()}, the runner's time zone` : 'never fires'),
        );
      });
    }
  }

  /** Waits for the entry's next time after `after`; returns that time. */
  #arm(pipeline: string, index: number, entry: ScheduleEntry, cron: Cron, after: Date): Date | undefined {
    const due = nextFire(cron, after);
    if (!due) return undefined;
    const wait = () => {
      const delay = due.getTime() - this.#now().getTime();
      const timer = setTimeout(
        () => {
          this.#timers.delete(timer);
          if (delay > MAX_DELAY_MS) return wait();
          this.#track(this.fire(pipeline, index, entry, due));
          this.#arm(pipeline, index, entry, cron, due);
        },
        Math.max(0, Math.min(delay, MAX_DELAY_MS)),
      );
      this.#timers.add(timer);
    };
    wait();
    return due;
  }

  #track(p: Promise<void>): void {
    this.#inFlight.add(p);
    void p.finally(() => this.#inFlight.delete(p));
  }

  /** Records the entry due at `at` with its branch's head as a delivery; a failure is logged, not retried. */
  async fire(pipeline: string, index: number, entry: ScheduleEntry, at: Date): Promise<void> {
    const label = `schedule ${pipeline}[${index}] at ${localTime(at)}`;
    try {
      const sha = await this.#o.checkouts.head(
        this.#o.repoUrl,
        `refs/heads/${entry.branch}`,
        this.#abort.signal,
      );
      if (!sha) {
        this.#o.log(`${label}: ${entry.branch} does not exist on the origin`);
        return;
      }
      const payload: SchedulePayload = {
        pipeline,
        index,
        branch: entry.branch,
        sha,
        mode: entry.mode,
        at: at.toISOString(),
      };
      const fresh = this.#o.deliveries.record({
        id: `schedule:${pipeline}:${index}:${payload.at}`,
        forge: 'schedule',
        event: 'schedule',
        payload: JSON.stringify(payload),
        receivedAt: Date.now(),
      });
      if (fresh) {
        this.#o.log(`${label}: ${entry.mode} of ${entry.branch} at ${sha.slice(0, 12)}`);
        this.#o.received();
      }
    } catch (err) {
      if (!this.#abort.signal.aborted) this.#o.log(`${label}: ${errorMessage(err)}`);
    }
  }

  async stop(): Promise<void> {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    this.#abort.abort();
    await Promise.allSettled([...this.#inFlight]);
  }
}

/** A time as the runner's wall clock shows it (the time zone cron expressions are read in). */
function localTime(d: Date): string {
  return formatTime(d.getTime() - d.getTimezoneOffset() * 60_000);
}
