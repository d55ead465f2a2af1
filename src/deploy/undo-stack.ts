import { errorMessage } from '../util/errors.ts';

/** One way a failed release attempt is taken back, and how to say it when it cannot be. */
interface Undo {
  what: string;
  /** Gets the failure being rolled back (what to collect, e.g. the logs of the services that failed). */
  fn: (cause: unknown) => Promise<unknown>;
}

/**
 * What a release attempt has done so far, as the steps that take it back. Each phase registers its
 * undo before it acts (a half-done act is undone too); on failure they run newest first, each one
 * even when an earlier one failed, so a failed undo never leaves the rest of the host untouched.
 */
export class UndoStack {
  readonly #undos: Undo[] = [];

  /** Registers how to take back what is about to be done. */
  push(what: string, fn: (cause: unknown) => Promise<unknown>): void {
    this.#undos.push({ what, fn });
  }

  /** How many undos are registered (what the attempt got through). */
  get size(): number {
    return this.#undos.length;
  }

  /** Runs every undo, newest first, for the failure `cause`, and empties the stack; true when each one succeeded. */
  async unwind(cause: unknown, log: (line: string) => void): Promise<boolean> {
    let ok = true;
    for (const u of this.#undos.splice(0).reverse()) {
      try {
        await u.fn(cause);
      } catch (err) {
        ok = false;
        log(`rollback: could not ${u.what}: ${errorMessage(err)}`);
      }
    }
    return ok;
  }
}
