/**
 * Sandbox bench: how long `slipway sandbox up` takes cold for 1, 3 and 5 hosts (hosts start in
 * parallel), warm (an instance that is up and healthy: what every e2e file pays), repairing one host
 * whose sshd and dockerd were killed, and `down`. The baseline is a cold up of one host in the same
 * invocation; ratios are against it (target: 3 hosts <= 2x one host, warm <= 0.3x).
 * Run as root: node bench/sandbox.ts [--reps N]. Uses the instance "bench" and removes it at the end.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { down, up } from '../src/sandbox/sandbox.ts';
import type { SandboxState } from '../src/sandbox/state.ts';
import { numberArg } from './lib/number-arg.ts';
import { median, timed } from './lib/timing.ts';

const REPS = numberArg('--reps', 3);
const target = { repoRoot: fileURLToPath(new URL('..', import.meta.url)), name: 'bench' };
const hosts = (n: number) => Array.from({ length: n }, (_, i) => `b${i + 1}`);

const rows: Array<{ name: string; ms: number[] }> = [];
const record = (name: string, ms: number) => {
  const row = rows.find((r) => r.name === name) ?? rows[rows.push({ name, ms: [] }) - 1]!;
  row.ms.push(ms);
};

try {
  await down(target);
  for (let rep = 0; rep < REPS; rep++) {
    for (const n of [1, 3, 5]) {
      record(`cold up, ${n} host${n > 1 ? 's' : ''}`, await timed(() => up({ ...target, hosts: hosts(n) })));
      if (n === 3) {
        record('warm up (reuse), 3 hosts', await timed(() => up({ ...target, hosts: hosts(3) })));
        const state = JSON.parse(readFileSync(`${target.repoRoot}.slipway/sandbox/bench/state.json`, 'utf8'));
        const procs = (state as SandboxState).procs['b2']!;
        process.kill(procs.sshd!.pid, 'SIGKILL');
        process.kill(procs.dockerd!.pid, 'SIGKILL');
        record(
          'repair one host (sshd + dockerd killed)',
          await timed(() => up({ ...target, hosts: hosts(3) })),
        );
      }
      record(`down, ${n} host${n > 1 ? 's' : ''}`, await timed(() => down(target)));
    }
  }
} finally {
  await down(target);
}

const base = median(rows[0]!.ms);
const table = [['case', 'median ms', `ratio vs ${rows[0]!.name}`]];
for (const r of rows) table.push([r.name, median(r.ms).toFixed(0), (median(r.ms) / base).toFixed(2)]);
const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
process.stdout.write(`sandbox bench, ${REPS} reps, ${new Date().toISOString()}\n`);
for (const row of table) process.stdout.write(`${row.map((c, i) => c.padEnd(widths[i]!)).join('  ')}\n`);
