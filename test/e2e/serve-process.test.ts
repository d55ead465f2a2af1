import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/store.ts';
import { createGitOrigin, type GitOrigin } from '../support/git-origin.ts';
import { type ServeProcess, spawnServe } from '../support/serve-fixture.ts';
import { waitFor } from '../support/wait-for.ts';
import { pushPayload } from '../support/webhook-payloads.ts';

// `slipway serve` as users start it: a real process, a real origin, SIGTERM while a step runs.

let origin: GitOrigin | undefined;
let dir: string | undefined;
let serve: ServeProcess | undefined;
afterEach(async () => {
  await serve?.crash();
  await origin?.cleanup();
  if (dir) await rm(dir, { recursive: true, force: true });
  serve = origin = dir = undefined;
});

describe('slipway serve (process)', () => {
  it('on SIGTERM stops taking deliveries, lets the running step finish, and exits 0', async () => {
    origin = await createGitOrigin();
    dir = await mkdtemp(join(tmpdir(), 'slipway-serve-e2e-'));
    const sha = await origin.commit({
      'slipway.yml': 'environments: {}\n',
      'pipelines/web.yml':
        'name: web\non: { push: { branches: [main] } }\njobs:\n  build: { steps: [ { run: { command: ["sleep", "2"] } } ] }\n',
    });
    const checkout = join(dir, 'ops');
    await execa('git', ['clone', '--quiet', origin.url, checkout]);
    const state = join(dir, 'state.db');
    serve = await spawnServe({ checkout, state });

    const res = await serve.deliver(
      'github',
      'push',
      pushPayload('github', { ref: 'refs/heads/main', after: sha }),
    );
    expect(res.status).toBe(202);

    const store = new Store(state);
    try {
      await waitFor('the step to run', () => store.runs.steps(1).some((s) => s.status === 'running'), 60_000);
      const result = await serve.stop();
      expect(result.exitCode).toBe(0);
      expect(result.all).toContain('SIGTERM: stopping');
      expect(store.runs.get(1)).toMatchObject({ status: 'succeeded', sha });
    } finally {
      store.close();
    }
  });
});
