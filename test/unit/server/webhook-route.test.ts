import { afterEach, describe, expect, it, vi } from 'vitest';
import { Deliveries } from '../../../src/store/deliveries.ts';
import { type ServeFixture, startServeFixture } from '../../support/serve-fixture.ts';
import { pushPayload } from '../../support/webhook-payloads.ts';

// Real HTTP over loopback, a real SQLite store, a real git origin (file://): nothing mocked.

let fx: ServeFixture | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

async function pushTo(
  f: ServeFixture,
  ref: string,
  files: Record<string, string>,
  forge: 'github' | 'gitea' = 'github',
) {
  const branch = ref.replace('refs/heads/', '');
  const sha = await f.origin.commit(files, branch);
  return pushPayload(forge, {
    ref,
    after: sha,
    cloneUrl: 'https://ignored.example/never-fetched.git',
    paths: Object.keys(files),
  });
}

const runsOf = (f: ServeFixture) => f.server.store.runs.list({ limit: 1000 });

describe('slipway serve: webhooks', () => {
  it('answers 202 to a signed push and queues exactly one run of the matching pipeline', async () => {
    fx = await startServeFixture();
    const payload = await pushTo(fx, 'refs/heads/main', { 'app.txt': 'v2' });
    const res = await fx.deliver('github', 'push', payload);
    expect(res.status).toBe(202);
    expect(JSON.parse(res.body)).toMatchObject({ accepted: true, delivery: res.delivery });
    await fx.server.idle();
    const runs = runsOf(fx);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({
      pipeline: 'web',
      sha: payload.after,
      branch: 'main',
      status: 'queued',
      channel: 'forge',
      triggeredBy: 'Codertocat',
    });
    // The run executes the pushed commit, fetched from the configured origin into its own directory.
    expect(runs[0]!.repoRoot).toContain(payload.after);
    expect(fx.server.deliveries.get(`github:${res.delivery}`)).toMatchObject({ status: 'processed' });
    expect(fx.logs.some((l) => l.includes('not starting docs: branch main matches none of release/*'))).toBe(
      true,
    );
  });

  it('refuses a bad signature with 401 and stores nothing', async () => {
    fx = await startServeFixture();
    const payload = await pushTo(fx, 'refs/heads/main', { 'app.txt': 'v2' });
    const wrong = await fx.deliver('github', 'push', payload, { signature: `sha256=${'0'.repeat(64)}` });
    const missing = await fx.deliver('gitea', 'push', payload, { signature: '' });
    const otherStyle = await fx.deliver('gitea', 'push', payload, {
      signature: `sha256=${'a'.repeat(64)}`,
    });
    expect([wrong.status, missing.status, otherStyle.status]).toEqual([401, 401, 401]);
    await fx.server.idle();
    expect(runsOf(fx)).toHaveLength(0);
    expect(fx.server.deliveries.get(`github:${wrong.delivery}`)).toBeUndefined();
  });

  it('recognises a replayed delivery and queues nothing more', async () => {
    fx = await startServeFixture();
    const payload = await pushTo(fx, 'refs/heads/main', { 'app.txt': 'v2' });
    const first = await fx.deliver('github', 'push', payload);
    await fx.server.idle();
    const replay = await fx.deliver('github', 'push', payload, { delivery: first.delivery });
    expect(replay.status).toBe(200);
    expect(JSON.parse(replay.body)).toMatchObject({ duplicate: true });
    await fx.server.idle();
    expect(runsOf(fx)).toHaveLength(1);
    // Still a replay after a restart: deliveries are persisted.
    await fx.restart();
    const afterRestart = await fx.deliver('github', 'push', payload, { delivery: first.delivery });
    expect(afterRestart.status).toBe(200);
    await fx.server.idle();
    expect(runsOf(fx)).toHaveLength(1);
  });

  it('ignores a push to another branch and logs why', async () => {
    fx = await startServeFixture();
    const payload = await pushTo(fx, 'refs/heads/feature/x', { 'app.txt': 'wip' });
    const res = await fx.deliver('github', 'push', payload);
    expect(res.status).toBe(202);
    await fx.server.idle();
    expect(runsOf(fx)).toHaveLength(0);
    expect(fx.logs).toContain(
      `delivery github:${res.delivery} (push): refs/heads/feature/x: not starting web: branch feature/x matches none of main`,
    );
    expect(fx.server.deliveries.get(`github:${res.delivery}`)).toMatchObject({
      status: 'ignored',
      outcome: expect.stringContaining('web: branch feature/x matches none of main'),
    });
  });

  it('takes Gitea pushes, and matches branch and path filters of the pushed commit', async () => {
    fx = await startServeFixture();
    const docs = await pushTo(fx, 'refs/heads/release/1.0', { 'docs/index.md': '# hi' }, 'gitea');
    const code = await pushTo(fx, 'refs/heads/release/1.0', { 'src/a.ts': '1' }, 'gitea');
    expect((await fx.deliver('gitea', 'push', docs)).status).toBe(202);
    expect((await fx.deliver('gitea', 'push', code)).status).toBe(202);
    await fx.server.idle();
    const runs = runsOf(fx);
    expect(runs.map((r) => [r.pipeline, r.sha, r.triggeredBy, r.authorName])).toEqual([
      ['docs', docs.after, 'alice', 'alice'],
    ]);
    expect(fx.logs.some((l) => l.includes('not starting docs: no changed path matches docs/**'))).toBe(true);
  });

  it('turns 100 concurrent deliveries into 100 runs, none lost, none doubled', async () => {
    fx = await startServeFixture();
    // 100 branches pushed at one commit: 100 distinct pushes, each starting the docs pipeline.
    const first = await pushTo(fx, 'refs/heads/release/0', { 'docs/index.md': '# v2' });
    const payloads = Array.from({ length: 100 }, (_, i) => ({ ...first, ref: `refs/heads/release/${i}` }));
    const answers = await Promise.all(payloads.map((p) => fx!.deliver('github', 'push', p)));
    expect(answers.filter((a) => a.status === 202)).toHaveLength(100);
    // The same 100 again, concurrently, once under their delivery ids and once under new ones: all replays.
    const replays = await Promise.all([
      ...answers.map((a, i) => fx!.deliver('github', 'push', payloads[i], { delivery: a.delivery })),
      ...payloads.map((p) => fx!.deliver('github', 'push', p)),
    ]);
    expect(replays.map((r) => r.status)).toEqual(replays.map(() => 200));
    await fx.server.idle();
    const runs = runsOf(fx);
    expect(runs).toHaveLength(100);
    expect(new Set(runs.map((r) => r.branch)).size).toBe(100);
    for (const a of answers)
      expect(fx.server.deliveries.get(`github:${a.delivery}`)?.status).toBe('processed');
  });

  it('processes deliveries stored before a restart, and fails ones a crash left half-done', async () => {
    fx = await startServeFixture();
    const payload = await pushTo(fx, 'refs/heads/main', { 'app.txt': 'v2' });
    await fx.server.close();
    // What a process that died right after answering 202 (and one that died mid-queueing) left behind.
    const deliveries = new Deliveries(`${fx.dir}/state.db`);
    deliveries.record({
      id: 'github:stored',
      forge: 'github',
      event: 'push',
      payload: JSON.stringify(payload),
      receivedAt: 1,
    });
    deliveries.record({
      id: 'github:half',
      forge: 'github',
      event: 'push',
      payload: JSON.stringify(payload),
      receivedAt: 2,
    });
    deliveries.claim('github:half');
    deliveries.close();
    await fx.restart();
    await fx.server.idle();
    expect(runsOf(fx)).toHaveLength(1);
    expect(fx.server.deliveries.get('github:stored')?.status).toBe('processed');
    expect(fx.server.deliveries.get('github:half')?.status).toBe('failed');
  });

  it('answers ping, ignores unused events, refuses missing headers, serves /healthz', async () => {
    fx = await startServeFixture();
    expect((await fx.deliver('github', 'ping', { zen: 'Keep it logically awesome.' })).status).toBe(200);
    expect((await fx.deliver('github', 'star', { action: 'created' })).status).toBe(202);
    const health = await fetch(`${fx.server.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ ok: true, pendingDeliveries: 0 });
    const get = await fetch(`${fx.server.url}/webhooks/github`);
    expect(get.status).toBe(405);
    expect((await fetch(`${fx.server.url}/nope`)).status).toBe(404);
  });

  it('leaves no interval running when closed (the process can exit)', async () => {
    const set = vi.spyOn(globalThis, 'setInterval');
    const clear = vi.spyOn(globalThis, 'clearInterval');
    try {
      const f = await startServeFixture({ worker: { concurrency: 1, pollMs: 50, graceMs: 1_000 } });
      await f.close();
      const cleared = new Set(clear.mock.calls.map((c) => c[0]));
      const running = set.mock.results
        .map((r) => r.value as NodeJS.Timeout)
        .filter((t) => !cleared.has(t) && t.hasRef());
      expect(running).toHaveLength(0);
    } finally {
      set.mockRestore();
      clear.mockRestore();
    }
  });
});
