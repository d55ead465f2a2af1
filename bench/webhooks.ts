/**
 * Webhook ingestion bench: N signed GitHub push deliveries over loopback, C at a time, against
 *  - slipway: `POST /webhooks/github` (read body, HMAC SHA-256 check, dedupe + persist the delivery in
 *    SQLite, answer 202; processing is off so only ingestion is measured);
 *  - baseline: a bare node:http server that reads the body and answers 202.
 * Run: node bench/webhooks.ts [--n 5000] [--c 16]. Prints deliveries/s, p50 and p99 latency, and ratios.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { DeliverySpool, spoolDirOf } from '../src/server/delivery-spool.ts';
import { startHttpServer } from '../src/server/server.ts';
import { Deliveries } from '../src/store/deliveries.ts';
import { signBody } from '../src/triggers/verify-signature.ts';
import { pushPayload } from '../test/support/webhook-payloads.ts';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const N = arg('n', 5000);
const C = arg('c', 16);
const SECRET = 'bench-secret';
const PUSH = pushPayload('github', { ref: 'refs/heads/main' });
let pushes = 0;

/** A signed push of a commit not sent before: a push is taken once per repository, ref and new head. */
function nextPush(): { body: string; signature: string } {
  const body = JSON.stringify({ ...PUSH, after: (++pushes).toString(16).padStart(40, '0') });
  return { body, signature: signBody(body, SECRET, 'github') };
}

interface Result {
  name: string;
  perSecond: number;
  p50: number;
  p99: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Sends N deliveries with C in flight; every answer must be 202. */
async function drive(name: string, url: string): Promise<Result> {
  const agent = new Agent({ connections: C, pipelining: 1 });
  const latencies: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < N) {
      next++;
      const { body, signature } = nextPush();
      const t0 = performance.now();
      const res = await request(url, {
        method: 'POST',
        dispatcher: agent,
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'push',
          'x-github-delivery': randomUUID(),
          'x-hub-signature-256': signature,
        },
        body,
      });
      await res.body.dump();
      if (res.statusCode !== 202) throw new Error(`${name}: got ${res.statusCode}`);
      latencies.push(performance.now() - t0);
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: C }, worker));
  const seconds = (performance.now() - start) / 1000;
  await agent.close();
  latencies.sort((a, b) => a - b);
  return { name, perSecond: N / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

async function baseline(): Promise<Result> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(202, { 'content-type': 'application/json' });
      res.end('{"accepted":true}\n');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    // Warm-up, then the measured run.
    await drive('warm-up', `http://127.0.0.1:${port}/webhooks/github`);
    return await drive('bare node:http', `http://127.0.0.1:${port}/webhooks/github`);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

async function slipway(): Promise<Result> {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-bench-webhooks-'));
  const deliveries = new Deliveries(join(dir, 'state.db'));
  const spool = new DeliverySpool(spoolDirOf(join(dir, 'state.db')));
  const server = await startHttpServer({
    host: '127.0.0.1',
    port: 0,
    deliveries,
    spool,
    secrets: { github: SECRET },
    received: () => undefined,
    services: [
      {
        name: 'bench store',
        stop: async () => {
          deliveries.close();
          spool.close();
        },
      },
    ],
    log: () => undefined,
  });
  try {
    await drive('warm-up', `${server.url}/webhooks/github`);
    const result = await drive('slipway serve', `${server.url}/webhooks/github`);
    const stored = deliveries.pending(3 * N).length;
    if (stored !== 2 * N) throw new Error(`expected ${2 * N} stored deliveries, found ${stored}`);
    return result;
  } finally {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const base = await baseline();
const ours = await slipway();
const fmt = (n: number, d = 1) => n.toFixed(d);
console.log(
  `webhook ingestion: ${N} signed push deliveries (${nextPush().body.length} bytes), ${C} in flight, loopback`,
);
console.log('| server | deliveries/s | p50 ms | p99 ms | throughput ratio | p99 ratio |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const r of [base, ours]) {
  console.log(
    `| ${r.name} | ${fmt(r.perSecond, 0)} | ${fmt(r.p50, 2)} | ${fmt(r.p99, 2)} | ${fmt(r.perSecond / base.perSecond, 2)} | ${fmt(r.p99 / base.p99, 2)} |`,
  );
}
