// Time to first byte and to full HTML of the dashboard's runs page with 1,000 runs in the store, against
// node:http serving the same bytes from memory (the floor for any page of that size), plus first contentful
// paint in chromium for both. Prints a table with ratios; run with `node bench/dashboard.ts` (N=… to change).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, get, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trustedPolicyOf } from '../src/approvals/trusted-policy.ts';
import { project as projectSchema } from '../src/config/schema/project.ts';
import { startSession } from '../src/dashboard/auth/sessions.ts';
import { createDashboard } from '../src/dashboard/routes.ts';
import { storeData } from '../src/dashboard/store-data.ts';
import { openDashboardStore } from '../src/store/dashboard-store.ts';
import { Store } from '../src/store/store.ts';
import { launchChromium } from '../test/support/chromium.ts';

const RUNS = 1000;
const N = Number(process.env.N ?? 200);
const PAINT_N = Number(process.env.PAINT_N ?? 15);
/** The smallest page with the same stylesheet: what first paint costs in this browser on this machine. */
const BLANK =
  '<!doctype html><html><head><link rel="stylesheet" href="/assets/app.css"></head><body><h1>Runs</h1></body></html>';

function listen(server: Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
}

function fetchTimed(port: number, path: string, headers: Record<string, string>) {
  return new Promise<{ ttfb: number; total: number; body: Buffer; headers: IncomingHttpHeaders }>(
    (resolve, reject) => {
      const t0 = process.hrtime.bigint();
      get({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
        const ttfb = Number(process.hrtime.bigint() - t0) / 1e6;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          if (res.statusCode !== 200) reject(new Error(`GET ${path}: ${res.statusCode}`));
          resolve({
            ttfb,
            total: Number(process.hrtime.bigint() - t0) / 1e6,
            body: Buffer.concat(chunks),
            headers: res.headers,
          });
        });
      }).on('error', reject);
    },
  );
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

/** Medians of one target. */
type Measured = { ttfb: number; total: number; bytes: number };

interface Target {
  port: number;
  path: string;
  headers: Record<string, string>;
}

/** Medians of N requests to each target, taken in turns so that load on the machine hits every target alike. */
async function measure(targets: Target[]) {
  for (let i = 0; i < 10; i++) for (const t of targets) await fetchTimed(t.port, t.path, t.headers);
  const samples = targets.map(() => ({ ttfb: [] as number[], total: [] as number[], bytes: 0 }));
  for (let i = 0; i < N; i++) {
    for (const [k, t] of targets.entries()) {
      const r = await fetchTimed(t.port, t.path, t.headers);
      samples[k]!.ttfb.push(r.ttfb);
      samples[k]!.total.push(r.total);
      samples[k]!.bytes = r.body.length;
    }
  }
  return samples.map((x) => ({ ttfb: median(x.ttfb), total: median(x.total), bytes: x.bytes }));
}

function seed(store: Store): void {
  const t0 = Date.now() - RUNS * 60_000;
  const logins = ['alice', 'bob', 'carol', 'dave'];
  for (let i = 0; i < RUNS; i++) {
    const at = t0 + i * 60_000;
    const id = store.runs.create(
      {
        pipeline: i % 3 ? 'web' : 'infra',
        pipelineFile: i % 3 ? 'pipelines/app.yml' : 'pipelines/infra.yml',
        repoRoot: '/srv/ops',
        sha: randomBytes(20).toString('hex'),
        branch: i % 7 ? 'main' : 'feature/x',
        triggeredBy: logins[i % logins.length]!,
        channel: 'forge',
        jobs: [
          { name: 'publish', needs: [], steps: [{ kind: 'build', name: 'build' }] },
          {
            name: 'deploy-dev',
            needs: ['publish'],
            environment: 'dev',
            steps: [{ kind: 'deploy', name: 'deploy' }],
          },
          {
            name: 'deploy-prod',
            needs: ['deploy-dev'],
            environment: 'prod',
            steps: [{ kind: 'deploy', name: 'deploy' }],
          },
        ],
      },
      at,
    );
    store.runs.setStatus(id, 'running', undefined, at + 1_000);
    store.runs.setStatus(id, i % 10 ? 'succeeded' : 'failed', undefined, at + 1_000 + ((i * 7919) % 300_000));
  }
}

/**
 * Median first contentful paint of each URL in one browser. Loads alternate between the URLs, so a burst of
 * load on the machine hits every page alike and the ratios stay fair; the first rounds warm up.
 */
async function firstPaints(
  urls: string[],
  cookie: { name: string; value: string; url: string },
): Promise<number[]> {
  const { context, close } = await launchChromium();
  try {
    await context.addCookies([cookie]);
    const page = await context.newPage();
    const paints: number[][] = urls.map(() => []);
    for (let round = 0; round < PAINT_N + 2; round++) {
      for (const [i, url] of urls.entries()) {
        await page.goto(url, { waitUntil: 'load' });
        // The paint entry can land after `load`: wait for it through a buffered observer (browser code as a
        // string: this project's TypeScript has no DOM types).
        const fcp = (await page.evaluate(`new Promise((resolve) => new PerformanceObserver((list) => {
          const entry = list.getEntriesByName('first-contentful-paint')[0];
          if (entry) resolve(entry.startTime);
        }).observe({ type: 'paint', buffered: true }))`)) as number;
        if (round >= 2) paints[i]!.push(fcp);
      }
    }
    return paints.map(median);
  } finally {
    await close();
  }
}

const dir = mkdtempSync(join(tmpdir(), 'slipway-bench-dashboard-'));
const servers: Server[] = [];
try {
  const dbPath = join(dir, 'state.db');
  const store = new Store(dbPath);
  seed(store);
  const { users, facets, close: closeUsers } = openDashboardStore(dbPath);
  users.add('bench', 'x'.repeat(64));
  const session = startSession(users, 'bench', { secure: false });
  const cookieValue = session.setCookie.split(';')[0]!;
  const dashboard = createDashboard({
    users,
    data: storeData({
      store,
      facets,
      policy: {
        current: async () =>
          trustedPolicyOf(
            {
              root: dbPath,
              project: projectSchema.parse({}),
              pipelines: [],
              inventories: new Map(),
              keys: new Map(),
              accessFiles: new Map(),
              sitesFiles: new Map(),
            },
            'refs/heads/main',
            'b'.repeat(40),
          ),
      },
      environments: () => [],
    }),
  });
  const dash = createServer((req, res) => void dashboard.handle(req, res));
  servers.push(dash);
  const dashPort = await listen(dash);
  const headers = { cookie: cookieValue };

  const page = await fetchTimed(dashPort, '/', headers);
  const css = await fetchTimed(dashPort, '/assets/app.css', headers);
  const staticServer = createServer((req, res) => {
    const isCss = req.url === '/assets/app.css';
    res.writeHead(200, {
      'content-type': isCss ? 'text/css; charset=utf-8' : 'text/html; charset=utf-8',
      'cache-control': 'no-store',
    });
    res.end(isCss ? css.body : req.url === '/blank' ? BLANK : page.body);
  });
  servers.push(staticServer);
  const staticPort = await listen(staticServer);

  const [dyn, stat, filtered, run] = (await measure([
    { port: dashPort, path: '/', headers },
    { port: staticPort, path: '/', headers: {} },
    { port: dashPort, path: '/?status=failed&branch=main', headers },
    { port: dashPort, path: '/runs/500', headers },
  ])) as [Measured, Measured, Measured, Measured];
  const [fcpDash, fcpStatic, fcpBlank] = (await firstPaints(
    [
      `http://127.0.0.1:${dashPort}/`,
      `http://127.0.0.1:${staticPort}/`,
      `http://127.0.0.1:${staticPort}/blank`,
    ],
    {
      name: cookieValue.split('=')[0]!,
      value: cookieValue.split('=')[1]!,
      url: `http://127.0.0.1:${dashPort}/`,
    },
  )) as [number, number, number];

  const ms = (x: number) => `${x.toFixed(2)} ms`;
  const rows: [string, string, string, string, string][] = [
    ['static file, same bytes (baseline)', ms(stat.ttfb), ms(stat.total), String(stat.bytes), '1.00'],
    [
      'runs page (first 50 of 1,000 runs)',
      ms(dyn.ttfb),
      ms(dyn.total),
      String(dyn.bytes),
      (dyn.total / stat.total).toFixed(2),
    ],
    [
      'runs page, status+branch filter',
      ms(filtered.ttfb),
      ms(filtered.total),
      String(filtered.bytes),
      (filtered.total / stat.total).toFixed(2),
    ],
    [
      'run page (3 jobs, graph)',
      ms(run.ttfb),
      ms(run.total),
      String(run.bytes),
      (run.total / stat.total).toFixed(2),
    ],
  ];
  console.log(
    `\ndashboard runs page, ${RUNS} runs in the store, median of ${N} requests (node ${process.version})\n`,
  );
  console.log('| page | TTFB | full HTML | bytes | full / baseline |');
  console.log('|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  console.log(`\nfirst contentful paint in chromium, median of ${PAINT_N} loads\n`);
  console.log('| page | FCP | ratio |');
  console.log('|---|---|---|');
  console.log(`| static file, same bytes (baseline) | ${ms(fcpStatic)} | 1.00 |`);
  console.log(`| runs page | ${ms(fcpDash)} | ${(fcpDash / fcpStatic).toFixed(2)} |`);
  console.log(
    `| one-heading page (the browser's floor) | ${ms(fcpBlank)} | ${(fcpBlank / fcpStatic).toFixed(2)} |`,
  );
  closeUsers();
  store.close();
} finally {
  for (const s of servers) s.close();
  rmSync(dir, { recursive: true, force: true });
}
