import type { Deliveries } from '../store/deliveries.ts';
import { errorMessage } from '../util/errors.ts';
import type { DeliverySpool } from './delivery-spool.ts';

/** How often a non-empty spool is offered to the store. */
export const SPOOL_INGEST_EVERY_MS = 1_000;

/** What the ingester moves, and where. */
export interface SpoolIngesterOptions {
  spool: DeliverySpool;
  /** A connection that waits only briefly for another process's write: the ingest runs on the event loop. */
  deliveries: Deliveries;
  /** Told after deliveries were moved into the store (the delivery processor starts on them). */
  ingested(): void;
  log(line: string): void;
}

/**
 * Moves spooled deliveries into the store when it is free (serve asks at start-up and every
 * SPOOL_INGEST_EVERY_MS). The records go in one transaction, deduplicated by delivery id and push key like
 * any delivery; the spool is emptied only after the commit. A crash between the two leaves records the store
 * has already, and the next ingest records nothing of them: each delivery is taken exactly once.
 */
export class SpoolIngester {
  readonly #o: SpoolIngesterOptions;
  /** Whether the last try found the store busy (logged once per busy spell). */
  #waiting = false;

  constructor(options: SpoolIngesterOptions) {
    this.#o = options;
  }

  /** Moves what the spool holds into the store; returns how many deliveries were new to it. */
  ingest(): number {
    const { spool, log } = this.#o;
    if (spool.count === 0) return 0;
    let fresh: string[];
    const { deliveries, skippedBytes } = spool.read();
    try {
      fresh = this.#o.deliveries.recordAll(deliveries);
    } catch (err) {
      if (!this.#waiting)
        log(`spool: ${spool.count} delivery(ies) wait for the store: ${errorMessage(err)}; trying again`);
      this.#waiting = true;
      return 0;
    }
    spool.clear();
    this.#waiting = false;
    const seen = deliveries.length - fresh.length;
    log(
      `spool: ${fresh.length} delivery(ies) moved into the store` +
        (seen ? `, ${seen} it had already` : '') +
        (skippedBytes ? `, ${skippedBytes} byte(s) of a torn record skipped` : ''),
    );
    if (fresh.length) this.#o.ingested();
    return fresh.length;
  }
}
