import { afterEach, describe, expect, it } from 'vitest';
import { logLines } from '../support/engine-fixture.ts';
import { OPS_FILES, type ServeFixture, startServeFixture } from '../support/serve-fixture.ts';
import { pushPayload } from '../support/webhook-payloads.ts';

let fx: ServeFixture | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
  delete process.env.SERVE_OWN_SECRET;
});

const FILES = {
  ...OPS_FILES,
  'pipelines/web.yml': [
    'name: web',
    'on: { push: { branches: [main] } }',
    'secrets: { tok: { env: SERVE_OWN_SECRET } }',
    'jobs:',
    '  build:',
    '    steps:',
    `      - run: { command: [sh, -c, 'test "$T" = serve-value-42 && echo resolved'], env: { T: "\${{ secrets.tok }}" } }`,
    '',
  ].join('\n'),
};

/** Pushes a commit to the fixture's origin and lets serve queue and execute its run. */
async function pushAndWait(f: ServeFixture) {
  const sha = await f.origin.commit({ 'app.txt': `v${Date.now()}` });
  const res = await f.deliver(
    'github',
    'push',
    pushPayload('github', { ref: 'refs/heads/main', after: sha }),
  );
  expect(res.status).toBe(202);
  await f.server.idle();
  return f.server.store.runs.list()[0]!;
}

describe('serve resolves secrets from its own sources, and says which it lacks when it queues', () => {
  it('names the unresolvable secret and its source when queueing (never a value), and the run fails on it', async () => {
    fx = await startServeFixture({ worker: { concurrency: 1, pollMs: 50, graceMs: 5_000 } }, FILES);
    const run = await pushAndWait(fx);
    expect(fx.logs).toContain(
      `run ${run.id}: warning: serve cannot resolve secret tok (env SERVE_OWN_SECRET): environment variable SERVE_OWN_SECRET is not set for this process`,
    );
    expect(run.status).toBe('failed');
  });

  it("runs with the value from serve's own environment", async () => {
    process.env.SERVE_OWN_SECRET = 'serve-value-42';
    fx = await startServeFixture({ worker: { concurrency: 1, pollMs: 50, graceMs: 5_000 } }, FILES);
    const run = await pushAndWait(fx);
    expect(fx.logs.some((l) => l.includes('cannot resolve'))).toBe(false);
    expect(run.status).toBe('succeeded');
    expect(logLines(fx.server.store, run.id)).toEqual(['resolved']);
  });
});
