/**
 * Soak of `slipway serve` (issue 15): signed webhook deliveries and run-only runs through 2 workers, bounded.
 *  - soak: D signed GitHub deliveries over loopback (R pushes to main, each a new commit that queues a run of
 *    the `web` pipeline; the rest pushes to other branches, which queue nothing, and redeliveries of the same
 *    delivery id), then waits until every run settled.
 *  - baseline: the same R runs executed one after the other by the engine in this process (no HTTP, no worker).
 * Checks: every push to main gave exactly one run, each succeeded once; no delivery lost or doubled; RSS
 * from the first to the last tenth of the runs. Run: node bench/soak.ts [--deliveries 1000] [--runs 100] [--json]
 */

import { join } from 'node:path';
import { runContextLoader } from '../src/cli/run-session.ts';
import { createRun } from '../src/engine/create-run.ts';
import { executeRun } from '../src/engine/executor.ts';
import { Checkouts } from '../src/triggers/checkout.ts';
import { remotePolicySource } from '../src/triggers/policy-ref.ts';
import { startServeFixture } from '../test/support/serve-fixture.ts';
import { pushPayload } from '../test/support/webhook-payloads.ts';
import { numberArg } from './lib/number-arg.ts';
import { emitRows } from './lib/rows.ts';

const DELIVERIES = numberArg('--deliveries', 1000);
const RUNS = numberArg('--runs', 100);
const REDELIVERED = Math.min(50, DELIVERIES - RUNS);

const fx = await startServeFixture({ worker: { concurrency: 2, pollMs: 200, graceMs: 10_000 } });
try {
  const shas: string[] = [];
  for (let i = 0; i < RUNS; i++) shas.push(await fx.origin.commit({ 'app.txt': `v${i}` }));
  const rss: number[] = [];
  const settled = new Set<number>();
  const watch = setInterval(() => {
    for (const r of fx.server.store.runs.list({ status: ['succeeded', 'failed'], limit: RUNS * 2 })) {
      if (settled.has(r.id)) continue;
      settled.add(r.id);
      rss.push(process.memoryUsage().rss);
    }
  }, 50);

  const t0 = performance.now();
  const ids: string[] = [];
  let lost = 0;
  const send = async (payload: unknown, delivery?: string) => {
    const r = await fx.deliver('github', 'push', payload, delivery ? { delivery } : {});
    if (r.status !== 202 && r.status !== 200) lost++;
    return r.delivery;
  };
  for (let i = 0; i < DELIVERIES - REDELIVERED; i++) {
    const main = i % Math.ceil((DELIVERIES - REDELIVERED) / RUNS) === 0 && ids.length < RUNS;
    const payload = main
      ? pushPayload('github', { ref: 'refs/heads/main', after: shas[ids.length]!, cloneUrl: fx.origin.url })
      : pushPayload('github', {
          ref: `refs/heads/feature/${i}`,
          after: shas[i % RUNS]!,
          cloneUrl: fx.origin.url,
        });
    const id = await send(payload);
    if (main) ids.push(id);
  }
  // Redeliveries of pushes already taken (GitHub's "Redeliver" button): same delivery id, nothing new.
  for (let i = 0; i < REDELIVERED; i++) {
    await send(
      pushPayload('github', { ref: 'refs/heads/main', after: shas[i]!, cloneUrl: fx.origin.url }),
      ids[i],
    );
  }
  const sent = performance.now() - t0;
  while (settled.size < RUNS && performance.now() - t0 < 600_000)
    await new Promise((r) => setTimeout(r, 100));
  const soakMs = performance.now() - t0;
  clearInterval(watch);
  await fx.server.idle();

  const runs = fx.server.store.runs.list({ limit: RUNS * 10 });
  const perSha = new Map<string, number>();
  for (const r of runs) perSha.set(r.sha, (perSha.get(r.sha) ?? 0) + 1);
  const once = shas.every((s) => perSha.get(s) === 1) && runs.length === RUNS;
  const succeeded = runs.filter((r) => r.status === 'succeeded').length;
  const tenth = Math.max(1, Math.floor(rss.length / 10));
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const rssFirst = mean(rss.slice(0, tenth)) / 2 ** 20;
  const rssLast = mean(rss.slice(-tenth)) / 2 ** 20;

  // Baseline: the same runs straight through the engine, one after the other.
  const checkouts = new Checkouts({
    cacheDir: join(fx.dir, 'bench-cache.git'),
    workRoot: join(fx.dir, 'bench-work'),
  });
  const load = runContextLoader(remotePolicySource(checkouts, fx.origin.url));
  const b0 = performance.now();
  for (const r of runs.slice(0, RUNS)) {
    const { repo, pipeline, policy } = await load(r);
    const id = createRun(fx.server.store, {
      repo,
      pipeline,
      policy,
      commit: { sha: r.sha, branch: r.branch },
      triggeredBy: 'bench',
      channel: 'cli',
    });
    await executeRun({ store: fx.server.store, runId: id, load, actor: 'bench' });
  }
  const baselineMs = performance.now() - b0;

  emitRows(`serve soak: ${DELIVERIES} deliveries, ${RUNS} runs, 2 workers`, [
    { bench: 'soak', case: 'deliveries sent', value: DELIVERIES, unit: 'count', baseline: undefined },
    {
      bench: 'soak',
      case: 'deliveries answered with an error',
      value: lost,
      unit: 'count',
      target: '0',
      ok: lost === 0,
    },
    {
      bench: 'soak',
      case: 'runs, each push to main exactly once',
      value: runs.length,
      unit: 'count',
      baseline: RUNS,
      target: `${RUNS}, once each`,
      ok: once,
    },
    {
      bench: 'soak',
      case: 'runs succeeded',
      value: succeeded,
      unit: 'count',
      baseline: RUNS,
      ok: succeeded === RUNS,
    },
    { bench: 'soak', case: 'time to send every delivery', value: sent, unit: 'ms' },
    {
      bench: 'soak',
      case: 'time until every run settled (vs engine alone, in order)',
      value: soakMs,
      unit: 'ms',
      baseline: baselineMs,
      ratio: soakMs / baselineMs,
    },
    {
      bench: 'soak',
      case: 'RSS, last tenth of runs vs first tenth',
      value: rssLast,
      unit: 'MiB',
      baseline: rssFirst,
      ratio: rssLast / rssFirst,
      target: '< 1.10',
      ok: rssLast / rssFirst < 1.1,
    },
  ]);
} finally {
  await fx.close();
}
