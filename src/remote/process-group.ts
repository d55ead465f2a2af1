import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Sends `signals` one after another (e.g. SIGINT, SIGTERM, SIGKILL), waiting `graceMs` after each
 * for `exited` to settle, and stops as soon as it does.
 */
export async function escalate(
  send: (signal: NodeJS.Signals) => Promise<void> | void,
  signals: readonly NodeJS.Signals[],
  graceMs: number,
  exited: Promise<unknown>,
): Promise<void> {
  let done = false;
  const settled = exited.then(
    () => {
      done = true;
    },
    () => {
      done = true;
    },
  );
  for (const signal of signals) {
    if (done) return;
    await send(signal);
    const ac = new AbortController();
    await Promise.race([settled, sleep(graceMs, undefined, { signal: ac.signal }).catch(() => {})]);
    ac.abort();
  }
}

/** Signals the whole process group led by `pid` (started detached); a group already gone is fine. */
export function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
  }
}
