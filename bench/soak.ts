/**
 * Soak of `slipway serve` (issue 15), bounded: D signed GitHub deliveries over loopback to a `slipway serve`
 * process with 2 workers. R of them push a new commit to main (one run each of the run-only `web` pipeline),
 * the rest push to other branches (no run), and up to 50 are redeliveries of a delivery id already sent. The
 * same load is sent twice: the first hundred runs warm the process up (V8 grows its young generation from
 * 32 to 128 MB under such a burst and keeps it; the live heap stays near 27 MB), the second is measured.
 *  - baseline: the same R runs executed one after the other by the engine in this process (no HTTP, no worker);
 *    for RSS, the serve process after the first hundred runs.
 * Checks: every push to main gave exactly one run and it succeeded; every delivery was stored once and
 * finished (none lost, pending or failed), every redelivery recognised; the serve process's RSS from the
 * first to the last hundred runs. Run: node bench/soak.ts [--deliveries 1000] [--runs 100] [--json]
 */

import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { runContextLoader } from '../src/cli/run-session.ts';
import { createRun } from '../src/engine/create-run.ts';
import { executeRun } from '../src/engine/executor.ts';
import { Deliveries } from '../src/store/deliveries.ts';
import { Store } from '../src/store/store.ts';
import type { RunRecord } from '../src/store/types.ts';
import { Checkouts } from '../src/triggers/checkout.ts';
import { remotePolicySource } from '../src/triggers/policy-ref.ts';
import { createGitOrigin, type GitOrigin } from '../test/support/git-origin.ts';
import { OPS_FILES, type ServeProcess, spawnServe } from '../test/support/serve-fixture.ts';
import { pushPayload } from '../test/support/webhook-payloads.ts';
import { numberArg } from './lib/number-arg.ts';
import { type BenchRow, emitRows } from './lib/rows.ts';

const DELIVERIES = numberArg('--deliveries', 1000);
const RUNS = numberArg('--runs', 100);
const REDELIVERED = Math.min(50, RUNS, DELIVERIES - RUNS);
const SETTLE_LIMIT_MS = 600_000;

/** What the deliveries were answered. */
interface Sent {
  /** Delivery ids of first deliveries, in order; those of pushes to main separately. */
  ids: string[];
  mainIds: string[];
  errors: number;
  recognised: number;
  ms: number;
}

// Sends the deliveries: pushes to main spread evenly among pushes to other branches, then the redeliveries.
async function sendDeliveries(serve: ServeProcess, origin: GitOrigin, shas: string[]): Promise<Sent> {
  const t0 = performance.now();
  const sent: Sent = { ids: [], mainIds: [], errors: 0, recognised: 0, ms: 0 };
  const every = Math.floor((DELIVERIES - REDELIVERED) / RUNS);
  for (let i = 0; i < DELIVERIES - REDELIVERED; i++) {
    const main = i % every === 0 && sent.mainIds.length < RUNS;
    const ref = main ? 'refs/heads/main' : `refs/heads/feature/${i}`;
    const after = main ? shas[sent.mainIds.length]! : shas[i % RUNS]!;
    const r = await serve.deliver(
      'github',
      'push',
      pushPayload('github', { ref, after, cloneUrl: origin.url }),
    );
    if (r.status !== 202) sent.errors++;
    sent.ids.push(r.delivery);
    if (main) sent.mainIds.push(r.delivery);
  }
  // GitHub's "Redeliver" button: the same delivery id again, which must queue nothing.
  for (let i = 0; i < REDELIVERED; i++) {
    const payload = pushPayload('github', { ref: 'refs/heads/main', after: shas[i]!, cloneUrl: origin.url });
    const r = await serve.deliver('github', 'push', payload, { delivery: sent.mainIds[i]! });
    if (r.status === 200 && JSON.parse(r.body).duplicate) sent.recognised++;
    else sent.errors++;
  }
  sent.ms = performance.now() - t0;
  return sent;
}

/** The resident set of a process, in MiB. */
function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB$/m);
  if (!line) throw new Error(`expected a VmRSS line in /proc/${pid}/status, got none`);
  return Number(line[1]) / 1024;
}

/** Samples the serve process's RSS each time a run of one of `shas` settles, until each has; returns the samples. */
async function watchRuns(store: Store, pid: number, shas: ReadonlySet<string>): Promise<number[]> {
  const t0 = performance.now();
  const settled = new Set<number>();
  const rss: number[] = [];
  while (settled.size < shas.size && performance.now() - t0 < SETTLE_LIMIT_MS) {
    for (const r of store.runs.list({ status: ['succeeded', 'failed'], limit: 10_000 })) {
      if (settled.has(r.id) || !shas.has(r.sha)) continue;
      settled.add(r.id);
      rss.push(rssMiB(pid));
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return rss;
}

/** The same runs straight through the engine in this process, one after the other; returns the time taken. */
async function baseline(store: Store, dir: string, origin: GitOrigin, runs: RunRecord[]): Promise<number> {
  const checkouts = new Checkouts({
    cacheDir: join(dir, 'bench-cache.git'),
    workRoot: join(dir, 'bench-work'),
  });
  const load = runContextLoader(remotePolicySource(checkouts, origin.url));
  const t0 = performance.now();
  for (const r of runs) {
    const { repo, pipeline, policy } = await load(r);
    const commit = { sha: r.sha, branch: r.branch };
    const id = createRun(store, { repo, pipeline, policy, commit, triggeredBy: 'bench', channel: 'cli' });
    await executeRun({ store, runId: id, load, actor: 'bench' });
  }
  return performance.now() - t0;
}

/** How many of the sent deliveries the store holds finished (processed or ignored). */
function finishedDeliveries(state: string, ids: string[]): number {
  const deliveries = new Deliveries(state);
  try {
    const done = ids.map((id) => deliveries.get(`github:${id}`)?.status);
    return done.filter((s) => s === 'processed' || s === 'ignored').length;
  } finally {
    deliveries.close();
  }
}

/** One load: the deliveries sent, the runs they queued settled, the deliveries all finished. */
async function soakRound(serve: ServeProcess, store: Store, origin: GitOrigin, shas: string[]) {
  const t0 = performance.now();
  const watched = watchRuns(store, serve.child.pid!, new Set(shas));
  const sent = await sendDeliveries(serve, origin, shas);
  const rss = await watched;
  const ms = performance.now() - t0;
  await waitForDeliveries(serve);
  return { sent, rss, ms };
}

/** Waits until serve has no delivery left to process (none pending, none spooled). */
async function waitForDeliveries(serve: ServeProcess): Promise<void> {
  for (;;) {
    const h = await serve.health();
    if (h.pendingDeliveries === 0 && h.spooledDeliveries === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const origin = await createGitOrigin();
const dir = await mkdtemp(join(tmpdir(), 'slipway-soak-'));
const state = join(dir, 'state.db');
let serve: ServeProcess | undefined;
try {
  await origin.commit(OPS_FILES);
  const shas: string[] = [];
  for (let i = 0; i < 2 * RUNS; i++) shas.push(await origin.commit({ 'app.txt': `v${i}` }));
  await execa('git', ['clone', '--quiet', origin.url, join(dir, 'ops')]);
  serve = await spawnServe({ checkout: join(dir, 'ops'), state, args: ['--concurrency', '2'] });
  const store = new Store(state);
  try {
    const startRss = rssMiB(serve.child.pid!);
    const warmUp = await soakRound(serve, store, origin, shas.slice(0, RUNS));
    const measured = await soakRound(serve, store, origin, shas.slice(RUNS));
    await serve.stop();
    const runs = store.runs.list({ limit: RUNS * 10 });
    const finished = finishedDeliveries(state, [...warmUp.sent.ids, ...measured.sent.ids]);
    const measuredRuns = runs.filter((r) => shas.slice(RUNS).includes(r.sha));
    const baselineMs = await baseline(store, dir, origin, measuredRuns);
    emitRows(`serve soak: ${DELIVERIES} deliveries, ${RUNS} runs, 2 workers (after as many to warm up)`, [
      ...deliveryRows(measured.sent, warmUp.sent, finished),
      ...runRows(runs, shas),
      { bench: 'soak', case: 'time to send every delivery', value: measured.sent.ms, unit: 'ms' },
      {
        bench: 'soak',
        case: 'time until every run settled (vs engine alone, in order)',
        value: measured.ms,
        unit: 'ms',
        baseline: baselineMs,
        ratio: measured.ms / baselineMs,
      },
      ...rssRows(startRss, warmUp.rss, measured.rss),
    ]);
  } finally {
    store.close();
  }
} finally {
  await serve?.crash();
  await origin.cleanup();
  await rm(dir, { recursive: true, force: true });
}

function deliveryRows(sent: Sent, warmUp: Sent, finished: number): BenchRow[] {
  const first = sent.ids.length + warmUp.ids.length;
  return [
    { bench: 'soak', case: 'deliveries sent per load', value: DELIVERIES, unit: 'count' },
    {
      bench: 'soak',
      case: 'deliveries answered with an error (both loads)',
      value: sent.errors + warmUp.errors,
      unit: 'count',
      target: '0',
      ok: sent.errors + warmUp.errors === 0,
    },
    {
      bench: 'soak',
      case: 'first deliveries stored once and finished (both loads)',
      value: finished,
      unit: 'count',
      baseline: first,
      target: 'all',
      ok: finished === first,
    },
    {
      bench: 'soak',
      case: 'redeliveries recognised, nothing queued (both loads)',
      value: sent.recognised + warmUp.recognised,
      unit: 'count',
      baseline: 2 * REDELIVERED,
      target: 'all',
      ok: sent.recognised + warmUp.recognised === 2 * REDELIVERED,
    },
  ];
}

function runRows(runs: RunRecord[], shas: string[]): BenchRow[] {
  const perSha = new Map<string, number>();
  for (const r of runs) perSha.set(r.sha, (perSha.get(r.sha) ?? 0) + 1);
  const succeeded = runs.filter((r) => r.status === 'succeeded').length;
  return [
    {
      bench: 'soak',
      case: 'runs, each push to main exactly once (both loads)',
      value: runs.length,
      unit: 'count',
      baseline: shas.length,
      target: `${shas.length}, once each`,
      ok: shas.every((s) => perSha.get(s) === 1) && runs.length === shas.length,
    },
    {
      bench: 'soak',
      case: 'runs succeeded (both loads)',
      value: succeeded,
      unit: 'count',
      baseline: shas.length,
      ok: succeeded === shas.length,
    },
  ];
}

function rssRows(start: number, warmUp: number[], measured: number[]): BenchRow[] {
  const lastTenth = (xs: number[]) => {
    const tail = xs.slice(-Math.max(1, Math.floor(xs.length / 10)));
    return tail.reduce((a, b) => a + b, 0) / tail.length;
  };
  const first = lastTenth(warmUp);
  const last = lastTenth(measured);
  return [
    { bench: 'soak', case: 'serve RSS at start (before any run)', value: start, unit: 'MiB' },
    {
      bench: 'soak',
      case: `serve RSS, end of the last ${RUNS} runs vs end of the first ${RUNS}`,
      value: last,
      unit: 'MiB',
      baseline: first,
      ratio: last / first,
      target: '< 1.10',
      ok: last / first < 1.1,
    },
  ];
}
