/**
 * Bounds how many anonymous refusals reach the append-only audit log: anyone can send requests without a
 * session, and each one must not be able to add a row forever. Within a window the first `limit` are
 * recorded; the rest are counted and the count is told with the next recorded one.
 */
export class RefusalThrottle {
  readonly #limit: number;
  readonly #windowMs: number;
  #windowStart = 0;
  #recorded = 0;
  #suppressed = 0;

  constructor(limit = 60, windowMs = 60_000) {
    this.#limit = limit;
    this.#windowMs = windowMs;
  }

  /** Whether to record this refusal, and how many went unrecorded before it; undefined: do not record. */
  admit(now: number): { unrecorded: number } | undefined {
    if (now - this.#windowStart >= this.#windowMs) {
      this.#windowStart = now;
      this.#recorded = 0;
    }
    if (this.#recorded >= this.#limit) {
      this.#suppressed++;
      return undefined;
    }
    this.#recorded++;
    const unrecorded = this.#suppressed;
    this.#suppressed = 0;
    return { unrecorded };
  }
}
