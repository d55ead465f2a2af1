/** How many request bodies may be read at once, and how many bytes they may hold together. */
export interface BodyBudgetLimits {
  /** Bodies read at the same time. */
  bodies: number;
  /** Bytes reserved by the bodies being read (each reserves its declared length, or the cap when undeclared). */
  bytes: number;
  /** Requests waiting for room; more are refused at once. */
  waiting: number;
  /** How long a request waits for room before it is refused. */
  waitMs: number;
}

interface Waiter {
  size: number;
  admit(release: () => void): void;
}

/**
 * Admits request bodies while they fit the limits, first come first served: a burst of small webhook
 * deliveries is read a few at a time, and large bodies, which cannot be judged before their last byte
 * (the HMAC covers all of it), cannot fill memory together. A request waits without its body being read
 * (the socket's backpressure holds the bytes at the sender).
 */
export class BodyBudget {
  readonly #limits: BodyBudgetLimits;
  readonly #queue: Waiter[] = [];
  #bodies = 0;
  #bytes = 0;

  constructor(limits: BodyBudgetLimits) {
    this.#limits = limits;
  }

  /** Room for a body of `size` bytes: resolves to its release, or undefined when it waited too long or the queue is full. */
  admit(size: number): Promise<(() => void) | undefined> {
    const reserved = Math.min(size, this.#limits.bytes);
    if (this.#queue.length === 0 && this.#fits(reserved)) return Promise.resolve(this.#take(reserved));
    if (this.#queue.length >= this.#limits.waiting) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        size: reserved,
        admit: (release) => {
          clearTimeout(timer);
          resolve(release);
        },
      };
      const timer = setTimeout(() => {
        this.#queue.splice(this.#queue.indexOf(waiter), 1);
        resolve(undefined);
        // The head may have been what held the others back.
        this.#next();
      }, this.#limits.waitMs);
      this.#queue.push(waiter);
    });
  }

  #fits(size: number): boolean {
    return this.#bodies < this.#limits.bodies && this.#bytes + size <= this.#limits.bytes;
  }

  #take(size: number): () => void {
    this.#bodies++;
    this.#bytes += size;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#bodies--;
      this.#bytes -= size;
      this.#next();
    };
  }

  #next(): void {
    while (this.#queue.length > 0 && this.#fits(this.#queue[0]!.size)) {
      const waiter = this.#queue.shift()!;
      waiter.admit(this.#take(waiter.size));
    }
  }
}
