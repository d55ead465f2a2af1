// Attacks on `slipway serve`'s webhook route: a real server on loopback (in this process, or a real
// `slipway serve` process), a real SQLite store, a real git origin; another process holding the store's
// write lock is a real process.
import { randomUUID } from 'node:crypto';
import { statSync } from 'node:fs';
import { mkdtemp, rename, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { spoolDirOf } from '../../src/server/delivery-spool.ts';
import { Store } from '../../src/store/store.ts';
import { SIGNATURE_HEADER, signBody } from '../../src/triggers/verify-signature.ts';
import { createGitOrigin, type GitOrigin } from '../support/git-origin.ts';
import {
  OPS_FILES,
  type ServeFixture,
  spawnServe,
  startServeFixture,
  WEBHOOK_SECRET,
} from '../support/serve-fixture.ts';
import { waitFor } from '../support/wait-for.ts';
import { pushPayload } from '../support/webhook-payloads.ts';

let fx: ServeFixture | undefined;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await fx?.close();
  fx = undefined;
  for (const c of cleanups.splice(0)) await c();
});

async function pushOfNewCommit(origin: GitOrigin) {
  const after = await origin.commit({ 'app.txt': randomUUID() });
  return pushPayload('github', { ref: 'refs/heads/main', after, paths: ['app.txt'] });
}
const runsOf = (f: ServeFixture) => f.server.store.runs.list({ limit: 1000 });

/** An open webhook request: headers sent, the body written only when asked; `reply` settles with the answer. */
function openDelivery(
  url: string,
  o: { body: Buffer; signature?: string; length?: number; delivery?: string },
) {
  const headers: Record<string, string | number> = {
    'content-type': 'application/json',
    'x-github-event': 'push',
    'x-github-delivery': o.delivery ?? randomUUID(),
    'content-length': o.length ?? o.body.length,
  };
  if (o.signature !== undefined) headers[SIGNATURE_HEADER.github] = o.signature;
  const req = request(`${url}/webhooks/github`, { method: 'POST', headers });
  const reply = new Promise<{ status: number; headers: Record<string, unknown>; body: string }>(
    (resolve, reject) => {
      req.on('response', (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      });
      req.on('error', reject);
    },
  );
  req.flushHeaders();
  return { req, reply, send: (bytes: Buffer) => new Promise<void>((r) => req.write(bytes, () => r())) };
}

describe('webhook intake', () => {
  it('takes a push once per repository, ref and new head: a replay under a new delivery id queues nothing', async () => {
    fx = await startServeFixture();
    const payload = await pushOfNewCommit(fx.origin);
    expect((await fx.deliver('github', 'push', payload)).status).toBe(202);
    await fx.server.idle();
    const replay = await fx.deliver('github', 'push', payload);
    expect(replay.status).toBe(200);
    expect(JSON.parse(replay.body)).toMatchObject({ duplicate: true });
    expect(
      fx.logs.some((l) => l.includes(`delivery ${replay.delivery} ignored: the same push as delivery`)),
    ).toBe(true);
    // The store remembers across restarts; the repository name is compared without case, as forges do.
    await fx.restart();
    payload.repository.full_name = payload.repository.full_name.toUpperCase();
    expect((await fx.deliver('github', 'push', payload)).status).toBe(200);
    await fx.server.idle();
    expect(runsOf(fx)).toHaveLength(1);
    expect(fx.server.deliveries.get(`github:${replay.delivery}`)).toBeUndefined();
  });

  it('lets a push whose processing failed be delivered again, since it queued nothing', async () => {
    fx = await startServeFixture();
    const payload = await pushOfNewCommit(fx.origin);
    const bare = new URL(fx.origin.url).pathname;
    await rename(bare, `${bare}.away`);
    const failed = await fx.deliver('github', 'push', payload);
    await fx.server.idle();
    expect(fx.server.deliveries.get(`github:${failed.delivery}`)?.status).toBe('failed');
    await rename(`${bare}.away`, bare);
    expect((await fx.deliver('github', 'push', payload)).status).toBe(202);
    await fx.server.idle();
    expect(runsOf(fx)).toHaveLength(1);
  });

  it('refuses a delivery without a well-formed signature before reading its body, and one over 25 MB', async () => {
    fx = await startServeFixture();
    // Headers only: the answer comes although not one byte of the announced 25 MB was sent.
    const unsigned = openDelivery(fx.server.url, { body: Buffer.alloc(0), length: 25 * 1024 * 1024 });
    expect((await unsigned.reply).status).toBe(401);
    unsigned.req.destroy();
    const garbled = openDelivery(fx.server.url, {
      body: Buffer.alloc(0),
      length: 1000,
      signature: 'sha256=zz',
    });
    expect((await garbled.reply).status).toBe(401);
    garbled.req.destroy();
    const huge = openDelivery(fx.server.url, {
      body: Buffer.alloc(0),
      length: 25 * 1024 * 1024 + 1,
      signature: `sha256=${'0'.repeat(64)}`,
    });
    expect((await huge.reply).status).toBe(413);
    huge.req.destroy();
  });

  it('reads a few bodies at once: the rest wait their turn, then get 503 with Retry-After', async () => {
    fx = await startServeFixture({
      webhookBodies: { bodies: 2, bytes: 1024 * 1024, waiting: 1, waitMs: 1_000 },
    });
    const payloads = [];
    for (let i = 0; i < 3; i++) payloads.push(await pushOfNewCommit(fx.origin));
    const bodies = payloads.map((p) => Buffer.from(JSON.stringify(p)));
    const signed = (body: Buffer) => signBody(body, WEBHOOK_SECRET, 'github');
    // Two senders hold the two places, half their body sent.
    const slow = bodies.slice(0, 2).map((body) => {
      const d = openDelivery(fx!.server.url, { body, signature: signed(body) });
      return { ...d, body };
    });
    for (const d of slow) await d.send(d.body.subarray(0, 10));
    // A third waits for a place; a fourth finds the queue full and is told at once to come back.
    const waiting = openDelivery(fx.server.url, { body: bodies[2]!, signature: signed(bodies[2]!) });
    await new Promise((r) => setTimeout(r, 100));
    const full = openDelivery(fx.server.url, { body: bodies[2]!, signature: signed(bodies[2]!) });
    const refused = await full.reply;
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('5');
    full.req.destroy();
    // The third waited its second: 503 too. Nothing of it was stored.
    expect((await waiting.reply).status).toBe(503);
    waiting.req.destroy();
    // The two holding places finish and are taken.
    for (const d of slow) d.req.end(d.body.subarray(10));
    expect((await Promise.all(slow.map((d) => d.reply))).map((r) => r.status)).toEqual([202, 202]);
    // A place is free again: the third, delivered again as the forge would, is taken.
    expect((await fx.deliver('github', 'push', payloads[2])).status).toBe(202);
    await fx.server.idle();
    expect(runsOf(fx)).toHaveLength(3);
  });

  it('spools what arrives while another process holds the store: 202 each, then exactly one run each', async () => {
    const serving = await serveProcess();
    const payloads = [];
    for (let i = 0; i < 5; i++) payloads.push(await pushOfNewCommit(serving.origin));
    const lock = await holdStoreLock(serving.state);
    const answers = [];
    for (const p of payloads) answers.push(await serving.serve.deliver('github', 'push', p));
    // A replay of a spooled delivery, and the same push under a new delivery id, are not spooled again.
    const replay = await serving.serve.deliver('github', 'push', payloads[0], {
      delivery: answers[0]!.delivery,
    });
    const again = await serving.serve.deliver('github', 'push', payloads[1]);
    expect(answers.map((a) => a.status)).toEqual([202, 202, 202, 202, 202]);
    expect(answers.map((a) => JSON.parse(a.body).spooled)).toEqual([true, true, true, true, true]);
    expect([replay.status, again.status]).toEqual([200, 200]);
    expect((await serving.serve.health()).spooledDeliveries).toBe(5);
    const spool = join(spoolDirOf(serving.state), 'deliveries');
    expect(statSync(spool).mode & 0o777).toBe(0o600);
    expect(statSync(spoolDirOf(serving.state)).mode & 0o777).toBe(0o700);

    await lock.release();
    const runs = await settledRuns(serving.state, 5);
    expect(runs.map((r) => r.sha).sort()).toEqual(payloads.map((p) => p.after).sort());
    expect(runs.every((r) => r.status === 'succeeded')).toBe(true);
    expect((await serving.serve.health()).spooledDeliveries).toBe(0);
    expect(statSync(spool).size).toBe(0);
  });

  it('keeps spooled deliveries through a kill -9 of serve and takes each once after the restart', async () => {
    const serving = await serveProcess();
    const payloads = [];
    for (let i = 0; i < 3; i++) payloads.push(await pushOfNewCommit(serving.origin));
    const lock = await holdStoreLock(serving.state);
    for (const p of payloads) expect((await serving.serve.deliver('github', 'push', p)).status).toBe(202);
    await serving.serve.crash();
    await lock.release();
    serving.serve = await spawnServe({ checkout: serving.checkout, state: serving.state });
    const runs = await settledRuns(serving.state, 3);
    expect(runs.map((r) => r.sha).sort()).toEqual(payloads.map((p) => p.after).sort());
    // Delivered again by hand after the restart: recognised, nothing more queued.
    expect((await serving.serve.deliver('github', 'push', payloads[0])).status).toBe(200);
    expect(await settledRuns(serving.state, 3)).toHaveLength(3);
  });

  it('answers 503 only when the store is busy and the spool is full, and takes the redelivery', async () => {
    fx = await startServeFixture({ spoolMaxBytes: 16 * 1024 });
    const first = await pushOfNewCommit(fx.origin);
    const second = await pushOfNewCommit(fx.origin);
    const lock = await holdStoreLock(`${fx.dir}/state.db`);
    expect((await fx.deliver('github', 'push', first)).status).toBe(202);
    const refused = await fx.deliver('github', 'push', second);
    expect(refused.status).toBe(503);
    expect(refused.body).toContain('the state store is busy and the spool cannot take the delivery');
    await lock.release();
    const health = async () =>
      ((await (await fetch(`${fx!.server.url}/healthz`)).json()) as { spooledDeliveries: number })
        .spooledDeliveries;
    await waitFor('the spool to be ingested', async () => (await health()) === 0);
    expect(fx.server.deliveries.get(`github:${refused.delivery}`)).toBeUndefined();
    expect((await fx.deliver('github', 'push', second)).status).toBe(202);
    await fx.server.idle();
    expect(runsOf(fx)).toHaveLength(2);
  });
});

/** Another process holding the store's write lock until `release`. */
async function holdStoreLock(state: string) {
  const holder = execa(
    process.execPath,
    [
      '-e',
      `const { DatabaseSync } = require('node:sqlite');
       const db = new DatabaseSync(process.argv[1]);
       db.exec('BEGIN IMMEDIATE');
       console.log('locked');
       process.stdin.once('data', () => { db.exec('ROLLBACK'); process.exit(0); });`,
      state,
    ],
    { stdin: 'pipe' },
  );
  await new Promise<void>((resolve) => holder.stdout!.once('data', () => resolve()));
  return {
    async release() {
      holder.stdin!.write('go\n');
      await holder;
    },
  };
}

/** A `slipway serve` process (worker on) on a clone of a fresh origin, stopped after the test. */
async function serveProcess() {
  const origin = await createGitOrigin();
  const dir = await mkdtemp(join(tmpdir(), 'slipway-intake-'));
  const checkout = join(dir, 'ops');
  const state = join(dir, 'state.db');
  await origin.commit(OPS_FILES);
  await execa('git', ['clone', '--quiet', origin.url, checkout]);
  const serving = { origin, dir, checkout, state, serve: await spawnServe({ checkout, state }) };
  cleanups.push(async () => {
    await serving.serve.crash();
    await origin.cleanup();
    await rm(dir, { recursive: true, force: true });
  });
  return serving;
}

/** Waits until the store holds `count` runs, all finished; returns them. */
async function settledRuns(state: string, count: number) {
  const store = new Store(state);
  try {
    return await waitFor(
      `${count} settled runs`,
      () => {
        const runs = store.runs.list({ limit: 100 });
        return (
          runs.length >= count && runs.every((r) => r.status === 'succeeded' || r.status === 'failed') && runs
        );
      },
      60_000,
    );
  } finally {
    store.close();
  }
}
