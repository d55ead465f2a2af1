import type { ForgeKind } from '../forge/types.ts';
import type { Deliveries, DeliveryRecord } from '../store/deliveries.ts';
import { parsePushEvent } from '../triggers/push-event.ts';
import { errorMessage } from '../util/errors.ts';
import type { DriftChecker } from './drift-check.ts';
import type { SchedulePayload } from './scheduler.ts';
import type { TriggerIntake, TriggerOutcome } from './trigger-intake.ts';
import { APP_PUSH } from './webhook-route.ts';

/** Handles one kind of delivery event; returns its outcome for the record, or `ignored: ...`. */
export type EventHandler = (
  forge: ForgeKind,
  payload: unknown,
  label: string,
) => Promise<{ status: 'processed' | 'ignored'; outcome: string }>;

/** What the processor dispatches to. */
export interface DeliveryProcessorOptions {
  deliveries: Deliveries;
  intake: TriggerIntake;
  /** Approval commands in issue comments; absent when no forge channel is configured. */
  issueComment?: EventHandler;
  /** Due `mode: plan` schedule entries. */
  drift: Pick<DriftChecker, 'check'>;
  /** Told after a delivery queued runs (the worker looks at once instead of at its next poll). */
  queued?(): void;
  log(line: string): void;
}

/** How soon draining starts again after the store failed. */
const RETRY_MS = 1_000;

/**
 * Works through stored deliveries one at a time, oldest first, after the webhook has answered. One at a
 * time keeps the git cache and the order of runs simple; a delivery is claimed before its runs are queued,
 * so it is never processed twice.
 */
export class DeliveryProcessor {
  readonly #o: DeliveryProcessorOptions;
  #running?: Promise<void>;
  #again = false;
  #stopped = false;
  #retry?: NodeJS.Timeout;

  constructor(options: DeliveryProcessorOptions) {
    this.#o = options;
  }

  /** Starts draining (or notes that more arrived while draining). */
  wake(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#drain()
      .catch((err: unknown) => {
        // The store itself failed (e.g. another process held it past the busy timeout): the deliveries stay
        // pending, and are looked at again shortly rather than at the next webhook.
        this.#o.log(
          `deliveries: ${err instanceof Error ? err.message : String(err)}; retrying in ${RETRY_MS} ms`,
        );
        this.#retry = setTimeout(() => this.wake(), RETRY_MS);
      })
      .finally(() => {
        this.#running = undefined;
      });
  }

  /** Resolves when nothing is being processed (a test's or shutdown's wait). */
  async idle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  /** Stops taking new deliveries and waits for the current one; unprocessed ones stay pending for next start. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#retry);
    await this.idle();
  }

  async #drain(): Promise<void> {
    do {
      this.#again = false;
      for (;;) {
        if (this.#stopped) return;
        const batch = this.#o.deliveries.pending(50);
        if (batch.length === 0) break;
        for (const d of batch) {
          if (this.#stopped) return;
          if (this.#o.deliveries.claim(d.id)) await this.#process(d);
        }
      }
    } while (this.#again);
  }

  #finish(id: string, outcome: TriggerOutcome): void {
    this.#o.deliveries.finish(id, outcome.runIds.length ? 'processed' : 'ignored', outcome.summary);
    if (outcome.runIds.length) this.#o.queued?.();
  }

  async #process(d: DeliveryRecord): Promise<void> {
    const label = `delivery ${d.id} (${d.event})`;
    const forge = d.forge as ForgeKind;
    try {
      const payload: unknown = JSON.parse(d.payload);
      if (d.event === 'push' || d.event === APP_PUSH) {
        const push = parsePushEvent(forge, payload);
        this.#finish(d.id, await this.#o.intake.accept(push, label, { appsOnly: d.event === APP_PUSH }));
      } else if (d.event === 'poll') {
        const { pipeline, branch, sha } = payload as { pipeline: string; branch: string; sha: string };
        this.#finish(d.id, await this.#o.intake.acceptPoll(pipeline, branch, sha, label));
      } else if (d.event === 'schedule') {
        const p = payload as SchedulePayload;
        if (p.mode === 'plan') {
          const { status, outcome } = await this.#o.drift.check(p, label);
          this.#o.deliveries.finish(d.id, status, outcome);
        } else {
          this.#finish(
            d.id,
            await this.#o.intake.acceptSchedule(p.pipeline, p.index, p.branch, p.sha, label),
          );
        }
      } else if (d.event === 'issue_comment' && this.#o.issueComment) {
        const { status, outcome } = await this.#o.issueComment(forge, payload, label);
        this.#o.deliveries.finish(d.id, status, outcome);
      } else {
        this.#o.deliveries.finish(d.id, 'ignored', `no handler for ${d.event}`);
      }
    } catch (err) {
      const message = errorMessage(err);
      this.#o.log(`${label}: failed: ${message}`);
      this.#o.deliveries.finish(d.id, 'failed', message);
    }
  }
}
