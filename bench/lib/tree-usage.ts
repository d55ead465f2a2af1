/**
 * Runs a command in a cgroup of its own (v1 cpuacct + memory, as this machine mounts them) so that every
 * process it starts, daemonized ssh masters included, is counted: wall time, CPU-seconds (cpuacct), and
 * the peak of the summed RSS of its processes, sampled every 100 ms (page cache, which the cgroup's own
 * max_usage counts, is left out: it is not the controller's memory).
 */
import { mkdirSync, readFileSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';

const CPUACCT = '/sys/fs/cgroup/cpuacct';
const PAGE = 4096;

/** What one command cost the controller. */
export interface TreeUsage {
  ms: number;
  cpuS: number;
  peakRssMiB: number;
  stdout: string;
  stderr: string;
  exitCode: number | undefined;
}

function rssBytes(pid: string): number {
  try {
    return Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]) * PAGE;
  } catch {
    return 0; // Exited between the listing and the read.
  }
}

function procsOf(dir: string): string[] {
  return readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean);
}

/** Runs argv (in `cwd`, with `env`) inside a fresh cgroup and reports its whole process tree's cost. */
export async function runMeasured(
  argv: readonly string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<TreeUsage> {
  const dir = join(CPUACCT, `slipway-bench-${process.pid}-${Date.now()}`);
  mkdirSync(dir);
  let peak = 0;
  const sample = () => {
    const total = procsOf(dir).reduce((sum, pid) => sum + rssBytes(pid), 0);
    peak = Math.max(peak, total);
  };
  try {
    const t0 = performance.now();
    // The shell moves itself into the cgroup, then execs the command: nothing runs outside it.
    const child = execa(
      'sh',
      ['-c', 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"', 'sh', dir, ...argv],
      { cwd: opts.cwd, env: opts.env, reject: false, timeout: opts.timeoutMs ?? 3_600_000 },
    );
    const timer = setInterval(sample, 100);
    const r = await child;
    clearInterval(timer);
    const ms = performance.now() - t0;
    const cpuS = Number(readFileSync(join(dir, 'cpuacct.usage'), 'utf8')) / 1e9;
    return {
      ms,
      cpuS,
      peakRssMiB: peak / 2 ** 20,
      stdout: String(r.stdout),
      stderr: String(r.stderr),
      exitCode: r.exitCode,
    };
  } finally {
    await killLeftovers(dir);
  }
}

// ssh masters outlive the command by their ControlPersist; the cgroup can only go once they have.
async function killLeftovers(dir: string): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const left = procsOf(dir);
    if (left.length === 0) break;
    for (const pid of left) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  rmdirSync(dir);
}

/** `u` when its command succeeded (logging its cost to stderr); otherwise throws with its last output lines. */
export function succeeded(what: string, u: TreeUsage): TreeUsage {
  if (u.exitCode !== 0) {
    throw new Error(
      `${what} exited ${u.exitCode}:\n${(u.stderr || u.stdout).split('\n').slice(-30).join('\n')}`,
    );
  }
  process.stderr.write(
    `  ${what}: ${(u.ms / 1000).toFixed(2)} s, ${u.cpuS.toFixed(1)} CPU-s, peak ${u.peakRssMiB.toFixed(0)} MiB\n`,
  );
  return u;
}
