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

/**
 * CPU-seconds of this process and of the children it has reaped (utime, stime, cutime, cstime):
 * the runner's own work, its ssh clients included.
 */
export async function runnerCpuSeconds(): Promise<number> {
  const stat = await readFile('/proc/self/stat', 'utf8');
  // Fields after the parenthesised command name; utime is field 14 of the whole line.
  const fields = stat
    .slice(stat.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number);
  return fields.slice(11, 15).reduce((a, b) => a + b, 0) / TICKS_PER_SECOND;
}

/** One measured call: wall time, the machine's busy CPU-seconds, and the runner's share of them. */
export interface CpuSample {
  ms: number;
  cpuS: number;
  runnerS: number;
}

/** Like `timed`, plus the CPU-seconds every process spent during the call, and the runner's part. */
export async function timedWithCpu(fn: () => Promise<unknown>): Promise<CpuSample> {
  const [cpu0, runner0] = [await machineBusySeconds(), await runnerCpuSeconds()];
  const ms = await timed(fn);
  return {
    ms,
    cpuS: (await machineBusySeconds()) - cpu0,
    runnerS: (await runnerCpuSeconds()) - runner0,
  };
}
