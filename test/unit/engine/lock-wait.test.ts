import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_LOCK_TIMEOUT_MS, lockState, lockTimeoutFromEnv } from '../../../src/engine/lock-wait.ts';
import {
  type EngineFixture,
  engineFixture,
  execute,
  pipelineFile,
  startRun,
} from '../../support/engine-fixture.ts';

let fx: EngineFixture;
beforeEach(() => {
  fx = engineFixture({ environments: { dev: {} } });
});
afterEach(() => fx.cleanup());

const gatedDeploy = () =>
  pipelineFile(fx, {
    name: 'app',
    jobs: {
      deploy: {
        environment: 'dev',
        approval: { approvers: ['bob'] },
        steps: [{ run: { command: ['true'] } }],
      },
    },
  });

describe('lock waits', () => {
  it('sets a detached run aside behind a parked holder, saying which run holds the lock and since when', async () => {
    const file = gatedDeploy();
    const holder = startRun(fx, file);
    const behind = startRun(fx, file);
    expect(await execute(fx, holder, file, { detach: true })).toBe('waiting');
    expect(await execute(fx, behind, file, { detach: true })).toBe('queued');
    const job = fx.store.runs.jobs(behind)[0]!;
    expect(job.status).toBe('queued');
    expect(job.reason).toMatch(
      new RegExp(
        `^waiting for dev: held by run ${holder} \\(waiting for approval of deploy\\), in the queue since `,
      ),
    );
    expect(fx.store.runs.get(behind)).toMatchObject({
      status: 'queued',
      reason: job.reason,
      owner: undefined,
    });
    // It kept its place: first-in first-out.
    expect(fx.store.locks.queue('dev').map((l) => l.runId)).toEqual([holder, behind]);
  });

  it('gives up after the lock timeout with the holder in the reason, and frees its place', async () => {
    const file = gatedDeploy();
    const holder = startRun(fx, file);
    const behind = startRun(fx, file);
    expect(await execute(fx, holder, file, { detach: true })).toBe('waiting');
    expect(await execute(fx, behind, file, { lockTimeoutMs: 100 })).toBe('failed');
    expect(fx.store.runs.jobs(behind)[0]!.reason).toMatch(
      new RegExp(`^gave up waiting for dev after 0.1s: held by run ${holder} `),
    );
    expect(fx.store.locks.queue('dev').map((l) => l.runId)).toEqual([holder]);
  });

  it('reads the timeout from SLIPWAY_LOCK_TIMEOUT and names a malformed one', () => {
    expect(lockTimeoutFromEnv({})).toBe(DEFAULT_LOCK_TIMEOUT_MS);
    expect(lockTimeoutFromEnv({ SLIPWAY_LOCK_TIMEOUT: '1h30m' })).toBe(5_400_000);
    expect(() => lockTimeoutFromEnv({ SLIPWAY_LOCK_TIMEOUT: 'soon' })).toThrow(
      'SLIPWAY_LOCK_TIMEOUT: expected a duration like 30m or 2h, got "soon"',
    );
  });

  it('tells a run outside the queue apart from one waiting in it', () => {
    fx.store.locks.enqueue(1, ['dev'], 1_000);
    fx.store.locks.enqueue(2, ['dev'], 2_000);
    expect(lockState(fx.store, 1, 'dev')).toEqual({ held: true });
    expect(lockState(fx.store, 2, 'dev', 5_000)).toMatchObject({ held: false, waitedMs: 3_000 });
    expect(lockState(fx.store, 3, 'dev')).toEqual({ held: false, gone: true });
  });
});
