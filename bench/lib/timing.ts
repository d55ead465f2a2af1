import { readFile } from 'node:fs/promises';

/** Milliseconds one call of `fn` takes. */
export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/** The median of samples (the upper one of the middle two for an even count). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

// /proc/stat counts in USER_HZ ticks, 100 per second on Linux.
const TICKS_PER_SECOND = 100;

/** CPU-seconds the whole machine has spent busy (every process, kernel included) since boot. */
export async function machineBusySeconds(): Promise<number> {
  const [, ...ticks] = (await readFile('/proc/stat', 'utf8')).split('\n')[0]!.trim().split(/\s+/).map(Number);
  // user nice system idle iowait irq softirq steal: everything but idle and iowait is work.
  const busy = ticks.slice(0, 8).reduce((a, b) => a + b, 0) - ticks[3]! - ticks[4]!;
  return busy / TICKS_PER_SECOND;
}

/** Like `timed`, plus the machine's busy CPU-seconds during the call (what every process spent). */
export async function timedWithCpu(fn: () => Promise<unknown>): Promise<{ ms: number; cpuS: number }> {
  const cpu0 = await machineBusySeconds();
  const ms = await timed(fn);
  return { ms, cpuS: (await machineBusySeconds()) - cpu0 };
}
