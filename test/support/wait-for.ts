import { setTimeout as sleep } from 'node:timers/promises';

type Falsy = false | 0 | '' | null | undefined;

/** Polls `probe` until it returns a truthy value; fails naming `what` after `timeoutMs` (a bound, not a speed check). */
export async function waitFor<T>(
  what: string,
  probe: () => T | Falsy | Promise<T | Falsy>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as T;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}
