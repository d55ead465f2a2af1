import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/store.ts';
import { signBody } from '../../src/triggers/verify-signature.ts';
import { createGitOrigin, type GitOrigin } from '../support/git-origin.ts';
import { waitFor } from '../support/wait-for.ts';
import { pushPayload } from '../support/webhook-payloads.ts';

// `slipway serve` as users start it: a real process, a real origin, SIGTERM while a step runs.

const SECRET = 'e2e-webhook-secret';
const BIN = join(import.meta.dirname, '../../bin/slipway');

let origin: GitOrigin | undefined;
let dir: string | undefined;
let child: ResultPromise | undefined;
afterEach(async () => {
  child?.kill('SIGKILL');
  await child?.catch(() => undefined);
  await origin?.cleanup();
  if (dir) await rm(dir, { recursive: true, force: true });
  child = origin = dir = undefined;
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
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const state = join(dir, 'state.db');
    child = execa(BIN, ['-C', checkout, 'serve', '--listen', `127.0.0.1:${port}`], {
      env: { SLIPWAY_WEBHOOK_SECRET: SECRET, SLIPWAY_STATE: state },
      all: true,
      reject: false,
      // The test decides when to give up (the test timeout), not execa's 5 s SIGKILL.
      forceKillAfterDelay: false,
    });
    const url = `http://127.0.0.1:${port}`;
    await waitFor(
      'serve to listen',
      () =>
        fetch(`${url}/healthz`).then(
          (r) => r.ok,
          () => false,
        ),
      60_000,
    );

    const body = JSON.stringify(pushPayload('github', { ref: 'refs/heads/main', after: sha }));
    const res = await fetch(`${url}/webhooks/github`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'push',
        'x-github-delivery': randomUUID(),
        'x-hub-signature-256': signBody(body, SECRET, 'github'),
      },
      body,
    });
    expect(res.status).toBe(202);

    const store = new Store(state);
    try {
      await waitFor('the step to run', () => store.runs.steps(1).some((s) => s.status === 'running'), 60_000);
      child.kill('SIGTERM');
      const result = await child;
      expect(result.all).toContain('SIGTERM: stopping');
      expect(result.exitCode).toBe(0);
      expect(result.all).toContain('SIGTERM: stopping');
      expect(store.runs.get(1)).toMatchObject({ status: 'succeeded', sha });
    } finally {
      store.close();
    }
  });
});
