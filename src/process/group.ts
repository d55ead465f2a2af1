/** Sends a signal to a whole process group (children started with `detached: true` lead their own group). */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false; // ESRCH: the group is gone
  }
}

/** True while any process of the group exists. */
export function groupAlive(pgid: number): boolean {
  return signalGroup(pgid, 0);
}

/**
 * Stops a process group: each signal in turn (e.g. SIGTERM, then SIGKILL), waiting `graceMs` for the group to
 * exit before the next one, so grandchildren die with their parent.
 */
export async function stopGroup(
  pgid: number,
  signals: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGKILL'],
  graceMs = 3_000,
): Promise<void> {
  for (const signal of signals) {
    if (!signalGroup(pgid, signal)) return;
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 25));
      if (!groupAlive(pgid)) return;
    }
  }
}
