import { hostParallelism } from '../remote/parallelism.ts';

/**
 * The time limit of a playbook run on `hosts` hosts: `perWaveMs` for each wave of forks (hosts run
 * `forks` at a time), so that a fleet of 200 hosts at forks 50 gets four times what 50 hosts get
 * instead of failing a healthy run at a limit sized for a handful.
 */
export function runTimeoutMs(perWaveMs: number, hosts: number, forks: number = hostParallelism()): number {
  if (!Number.isInteger(forks) || forks < 1) throw new Error(`expected forks >= 1, got ${forks}`);
  return perWaveMs * Math.max(1, Math.ceil(hosts / forks));
}
