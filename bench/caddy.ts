/**
 * Caddy bench: with 10, 100 and 1,000 sites on a real Caddy,
 *  - upstream swap: Slipway's path (find the handler ids, read the live upstreams, PATCH, all through an
 *    SSH-forwarded admin socket) vs a bare `curl -X PATCH` on the host's socket;
 *  - full apply: Slipway's converge (read + diff + POST /config/ with If-Match) vs `curl` POST /load.
 * Run: node bench/caddy.ts [--reps N] (default 15). Slipway and the baseline alternate who goes first; prints
 * medians and ratios (target: swap <= 1.2 at 1,000 sites). Figures are noisy on a loaded machine.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CaddyAdmin } from '../src/caddy/admin-client.ts';
import { convergeConfig, switchUpstreams } from '../src/caddy/apply.ts';
import { type CaddyJson, renderCaddyConfig } from '../src/caddy/render.ts';
import { type Sites, sites as sitesSchema } from '../src/config/schema/sites.ts';
import { appRoutes } from '../src/deploy/routes.ts';
import { sshTargetOf } from '../src/remote/from-inventory.ts';
import { SshTransport } from '../src/remote/ssh-transport.ts';
import { type LocalCaddy, startLocalCaddy } from '../test/support/caddy.ts';
import { startThrowawaySshd } from '../test/support/throwaway-sshd.ts';
import { numberArg } from './lib/number-arg.ts';
import { median, timed } from './lib/timing.ts';

const run = promisify(execFile);
const REPS = numberArg('--reps', 15);
const SIZES = [10, 100, 1000];
const host = { name: 'bench', groups: [] };

function benchSites(n: number): Sites {
  const sites: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) sites[`s${i}.bench.test`] = { routes: [{ proxy: { app: `app${i}` } }] };
  return sitesSchema.parse({ tls: { issuer: 'internal' }, sites });
}

async function curl(socket: string, method: string, path: string, dataFile: string): Promise<void> {
  // -H 'Host;' sends the empty Host header Caddy 2.6 expects on a unix socket.
  await run('curl', [
    '-sf',
    '--unix-socket',
    socket,
    '-H',
    'Host;',
    '-H',
    'Content-Type: application/json',
    '-X',
    method,
    '--data-binary',
    `@${dataFile}`,
    `http://localhost${path}`,
  ]);
}

async function main(): Promise<void> {
  const backends = await Promise.all(
    [0, 1].map(async () => {
      const s = createServer((_req, res) => res.end('ok'));
      await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
      return { server: s, dial: `127.0.0.1:${(s.address() as { port: number }).port}` };
    }),
  );
  const sshd = await startThrowawaySshd();
  const transport = new SshTransport(sshTargetOf(sshd.inventoryHost('bench'), process.cwd()));
  let caddy: LocalCaddy | undefined;
  const rows: string[][] = [];
  try {
    caddy = await startLocalCaddy();
    const forwarded = await transport.forwardUnixSocket(caddy.socket);
    const admin = new CaddyAdmin(forwarded.localPath);
    for (const n of SIZES) {
      const sites = benchSites(n);
      const render = (dial: string): CaddyJson =>
        renderCaddyConfig({
          sites,
          environment: 'bench',
          host,
          upstreams: new Map(
            Array.from({ length: n }, (_, i) => [`app${i}`, [i === 0 ? dial : backends[0]!.dial]]),
          ),
          adminSocket: caddy!.socket,
          ports: caddy!.ports,
        });
      const configs = backends.map((b) => render(b.dial));
      const files = await Promise.all(
        configs.map(async (c, i) => {
          const f = join(caddy!.dir, `bench-${n}-${i}.json`);
          await writeFile(f, JSON.stringify(c));
          return f;
        }),
      );
      const patchFiles = await Promise.all(
        backends.map(async (b, i) => {
          const f = join(caddy!.dir, `patch-${i}.json`);
          await writeFile(f, JSON.stringify([{ dial: b.dial }]));
          return f;
        }),
      );
      await caddy.admin.load(configs[0]);

      const swapSlipway: number[] = [];
      const swapCurl: number[] = [];
      const applySlipway: number[] = [];
      const applyLoad: number[] = [];
      const appIds = () => appRoutes(sites, 'app0', 'bench', host).map((r) => r.upstreamId);
      const id = encodeURIComponent(appIds()[0]!);
      // Each timed operation is a real change: it points app0 at backend `to` (the other one than now).
      const ops = {
        swapSlipway: async (to: number) => {
          const written = await switchUpstreams(
            admin,
            appIds().map((id) => ({ id, dials: [backends[to]!.dial] })),
          );
          if (written.length !== 1) throw new Error('swap wrote nothing');
        },
        swapCurl: (to: number) => curl(caddy!.socket, 'PATCH', `/id/${id}/upstreams`, patchFiles[to]!),
        applySlipway: async (to: number) => {
          const res = await convergeConfig(admin, configs[to]!);
          if (res.changes.length !== 1) throw new Error(`expected one change, got ${res.changes.length}`);
        },
        applyLoad: (to: number) => curl(caddy!.socket, 'POST', '/load', files[to]!),
      };
      const pairs = [
        [ops.swapSlipway, ops.swapCurl, swapSlipway, swapCurl],
        [ops.applySlipway, ops.applyLoad, applySlipway, applyLoad],
      ] as const;
      for (let r = 0; r < REPS; r++) {
        for (const [slipway, baseline, slipwayTimes, baselineTimes] of pairs) {
          // Alternate who goes first, so neither always follows the other's reload.
          const first = r % 2 === 0;
          const [a, b] = first ? [slipway, baseline] : [baseline, slipway];
          const [ta, tb] = first ? [slipwayTimes, baselineTimes] : [baselineTimes, slipwayTimes];
          ta.push(await timed(() => a(1)));
          tb.push(await timed(() => b(0)));
        }
      }
      const [ss, sc, as, al] = [swapSlipway, swapCurl, applySlipway, applyLoad].map(median) as [
        number,
        number,
        number,
        number,
      ];
      rows.push([
        String(n),
        ss.toFixed(1),
        sc.toFixed(1),
        (ss / sc).toFixed(2),
        as.toFixed(1),
        al.toFixed(1),
        (as / al).toFixed(2),
      ]);
    }
    await forwarded.close();
  } finally {
    await transport.close();
    await caddy?.stop();
    await sshd.close();
    for (const b of backends) b.server.close();
  }
  const head = [
    'sites',
    'swap slipway ms',
    'swap curl ms',
    'ratio',
    'apply slipway ms',
    '/load curl ms',
    'ratio',
  ];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
  console.log(`Caddy ${(await run('caddy', ['version'])).stdout.trim()}, median of ${REPS} runs`);
  console.log(line(head));
  for (const r of rows) console.log(line(r));
}

await main();
