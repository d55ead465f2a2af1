import type { PipelineFile } from '../config/types.ts';
import type { Deliveries } from '../store/deliveries.ts';
import type { Checkouts } from '../triggers/checkout.ts';
import { errorMessage } from '../util/errors.ts';
import type { Service } from './server.ts';

/** What a trigger that records branch heads as deliveries needs (polling, schedules). */
export interface HeadTriggerOptions {
  /** Pipelines the trigger starts, as configured when the server started. */
  pipelines: PipelineFile[];
  checkouts: Checkouts;
  repoUrl: string;
  deliveries: Deliveries;
  /** Woken after a delivery is recorded. */
  received(): void;
  log(line: string): void;
}

/** What the polling trigger needs: the pipelines with `on.poll`. */
export type PollerOptions = HeadTriggerOptions;

/**
 * The polling trigger, for forges that cannot reach the runner: every `on.poll.interval` it asks the
 * origin (`git ls-remote`) for the head of `on.poll.branch`; a commit not seen before for that pipeline
 * becomes a delivery `poll:<pipeline>:<sha>`, so the processor queues its run exactly once, even across
 * restarts.
 */
export class Poller implements Service {
  readonly name = 'poller';
  readonly #o: PollerOptions;
  readonly #timers: NodeJS.Timeout[] = [];
  readonly #inFlight = new Set<Promise<void>>();
  readonly #abort = new AbortController();

  constructor(options: PollerOptions) {
    this.#o = options;
  }

  /** Polls each pipeline now, then on its interval. */
  start(): void {
    for (const file of this.#o.pipelines) {
      const poll = file.pipeline.on.poll;
      if (!poll) continue;
      const tick = () => {
        const p = this.pollOnce(file.pipeline.name, poll.branch).finally(() => this.#inFlight.delete(p));
        this.#inFlight.add(p);
      };
      tick();
      this.#timers.push(setInterval(tick, poll.interval));
    }
  }

  /** One poll of one pipeline's branch; true when it found a new commit. */
  async pollOnce(pipeline: string, branch: string): Promise<void> {
    try {
      const sha = await this.#o.checkouts.head(this.#o.repoUrl, `refs/heads/${branch}`, this.#abort.signal);
      if (!sha) {
        this.#o.log(`poll ${pipeline}: ${branch} does not exist on the origin`);
        return;
      }
      const fresh = this.#o.deliveries.record({
        id: `poll:${pipeline}:${sha}`,
        forge: 'poll',
        event: 'poll',
        payload: JSON.stringify({ pipeline, branch, sha }),
        receivedAt: Date.now(),
      });
      if (fresh) {
        this.#o.log(`poll ${pipeline}: new commit ${sha.slice(0, 12)} on ${branch}`);
        this.#o.received();
      }
    } catch (err) {
      if (!this.#abort.signal.aborted) {
        this.#o.log(`poll ${pipeline}: ${errorMessage(err)}`);
      }
    }
  }

  async stop(): Promise<void> {
    for (const t of this.#timers) clearInterval(t);
    this.#abort.abort();
    await Promise.allSettled([...this.#inFlight]);
  }
}
