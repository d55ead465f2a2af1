import { afterEach, describe, expect, it } from 'vitest';
import { type ServeFixture, startServeFixture } from '../../support/serve-fixture.ts';
import { pushPayload } from '../../support/webhook-payloads.ts';

let fx: ServeFixture | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

describe('slipway serve: worker loop', () => {
  it('executes the run a push queued', async () => {
    fx = await startServeFixture({ worker: { concurrency: 2, pollMs: 50, graceMs: 5_000 } });
    const sha = await fx.origin.commit({ 'app.txt': 'v2' });
    const res = await fx.deliver(
      'github',
      'push',
      pushPayload('github', { ref: 'refs/heads/main', after: sha }),
    );
    expect(res.status).toBe(202);
    await fx.server.idle();
    const [run] = fx.server.store.runs.list();
    expect(run).toMatchObject({ pipeline: 'web', sha, status: 'succeeded' });
    expect(fx.server.store.runs.steps(run!.id).map((s) => s.status)).toEqual(['succeeded']);
  });
});
