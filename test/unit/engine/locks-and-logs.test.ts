// biome-ignore-all lint/suspicious/noTemplateCurlyInString: shell commands and pipeline values name variables as ${VAR}
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recoverAbandonedRuns } from '../../../src/engine/recovery.ts';
import { processRef } from '../../../src/process/identity.ts';
import {
  type EngineFixture,
  engineFixture,
  execute,
  logLines,
  pipelineFile,
  startRun,
  until,
} from '../../support/engine-fixture.ts';

let fx: EngineFixture;
beforeEach(() => {
  fx = engineFixture({ environments: { dev: {} } });
});
afterEach(() => fx.cleanup());

describe('environment locks', () => {
  it('queues a second run on the same environment until the first is done, in start order', async () => {
    const deploy = (n: number) =>
      pipelineFile(fx, {
        name: `app${n}`,
        jobs: {
          deploy: {
            environment: 'dev',
            steps: [
              {
                run: {
                  command: [
                    'sh',
                    '-c',
                    `echo start-${n} >> order; while [ ! -e go-${n} ]; do sleep 0.02; done; echo end-${n} >> order`,
                  ],
                },
                timeout: '20s',
              },
            ],
          },
        },
      });
    const [f1, f2] = [deploy(1), deploy(2)];
    const r1 = startRun(fx, f1);
    const r2 = startRun(fx, f2);
    const d2 = execute(fx, r2, f2); // the later run starts executing first, and still waits its turn
    await until(() => fx.store.runs.jobs(r2)[0]!.status === 'queued', 10_000, 'run 2 to queue');
    expect(fx.store.runs.jobs(r2)[0]!.reason).toMatch(
      new RegExp(`^waiting for dev: held by run ${r1} \\(queued\\), in the queue since \\d{4}-`),
    );
    const d1 = execute(fx, r1, f1);
    await until(() => fx.store.runs.steps(r1)[0]!.status === 'running', 10_000, 'run 1 to start');
    expect(fx.store.locks.queue('dev').map((l) => l.runId)).toEqual([r1, r2]);
    writeFileSync(join(fx.dir, 'go-2'), '');
    writeFileSync(join(fx.dir, 'go-1'), '');
    expect(await d1).toBe('succeeded');
    expect(await d2).toBe('succeeded');
    expect(readFileSync(join(fx.dir, 'order'), 'utf8').trim().split('\n')).toEqual([
      'start-1',
      'end-1',
      'start-2',
      'end-2',
    ]);
    expect(fx.store.locks.all()).toEqual([]);
  });

  it('releases the lock of a run whose process died, with an audit record, and marks its step interrupted', async () => {
    const file = pipelineFile(fx, {
      name: 'app',
      jobs: { deploy: { environment: 'dev', steps: [{ run: { command: ['true'] } }] } },
    });
    const id = startRun(fx, file);
    // A runner that claimed the run, started the step and died: its pid no longer exists.
    const gone = spawnSync('true').pid!;
    fx.store.runs.claim(id, { pid: gone, host: hostname(), start: 'boot:1' });
    fx.store.runs.setStatus(id, 'running');
    fx.store.runs.setStepStatus(id, 'deploy', 0, 'running');
    expect(await recoverAbandonedRuns(fx.store)).toEqual([id]);
    const detail = fx.store.detail(id)!;
    expect(detail.run.status).toBe('interrupted');
    expect(detail.steps[0]!.status).toBe('interrupted');
    expect(fx.store.locks.all()).toEqual([]);
    expect(fx.store.gates.auditTrail(id)).toMatchObject([
      {
        actor: 'slipway',
        action: 'release-lock',
        outcome: 'recorded',
        reason: expect.stringContaining('lock on dev released'),
      },
    ]);
    // Resuming without an explicit decision refuses to apply the step again.
    await expect(execute(fx, id, file)).rejects.toThrow(
      /interrupted during deploy\[0\] run.*--retry-interrupted/,
    );
    expect(fx.store.runs.steps(id)[0]!.attempt).toBe(1);
    expect(await execute(fx, id, file, { retryInterrupted: true })).toBe('succeeded');
    expect(fx.store.runs.steps(id)[0]!.attempt).toBe(2);
  });
});

describe('dead lock holders', () => {
  it('a run waiting in the queue detects that the holder died, frees the lock with a record, and goes on', async () => {
    const file = pipelineFile(fx, {
      name: 'app',
      jobs: { deploy: { environment: 'dev', steps: [{ run: { command: ['true'] } }] } },
    });
    const dead = startRun(fx, file);
    const waiting = startRun(fx, file);
    // The holder's runner is a live process at first, then dies while the other run waits for the lock.
    const holder = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      fx.store.runs.claim(dead, { ...processRef(holder.pid!), host: hostname() });
      fx.store.runs.setStatus(dead, 'running');
      const done = execute(fx, waiting, file);
      await until(
        () => fx.store.runs.jobs(waiting)[0]!.status === 'queued',
        10_000,
        'the second run to queue',
      );
      holder.kill('SIGKILL');
      expect(await done).toBe('succeeded');
    } finally {
      holder.kill('SIGKILL');
    }
    // It never started a step, so nothing is of unknown effect: it is queued again, behind the other run.
    expect(fx.store.runs.get(dead)!).toMatchObject({ status: 'queued', owner: undefined });
    expect(fx.store.gates.auditTrail(dead).map((a) => a.action)).toEqual(['release-lock']);
  });
});

describe('logs', () => {
  it('masks a secret the command prints in two chunks, in stored lines and failure reasons', async () => {
    const secret = 's3cr3t-Value-42';
    const file = pipelineFile(fx, {
      name: 'masked',
      secrets: { TOKEN: { env: 'TEST_TOKEN' } },
      jobs: {
        leak: {
          steps: [
            {
              run: {
                command: [
                  'sh',
                  '-c',
                  'printf "token=%s" "${T%Value-42}"; sleep 0.2; printf "Value-42 done\\n"; echo "$T" >&2; exit 1',
                ],
                env: { T: '${{ secrets.TOKEN }}' },
              },
            },
          ],
        },
      },
    });
    const id = startRun(fx, file);
    expect(await execute(fx, id, file, { env: { TEST_TOKEN: secret } })).toBe('failed');
    const lines = logLines(fx.store, id);
    expect(lines.sort()).toEqual(['***', 'token=*** done']);
    const everything =
      JSON.stringify(fx.store.detail(id)) + JSON.stringify(fx.store.events.after(id, 0, 10_000));
    expect(everything).not.toContain(secret);
    expect(everything).not.toContain('s3cr3t');
  });

  it('does not pass the variables secrets are read from to commands', async () => {
    const file = pipelineFile(fx, {
      name: 'noleak',
      secrets: { TOKEN: { env: 'TEST_TOKEN_SOURCE' } },
      jobs: { j: { steps: [{ run: { command: ['sh', '-c', 'echo "[${TEST_TOKEN_SOURCE:-unset}]"'] } }] } },
    });
    const id = startRun(fx, file);
    process.env.TEST_TOKEN_SOURCE = 'from-the-runner-env';
    try {
      expect(await execute(fx, id, file)).toBe('succeeded');
    } finally {
      delete process.env.TEST_TOKEN_SOURCE;
    }
    expect(logLines(fx.store, id)).toEqual(['[unset]']);
  });

  it('fails a step naming a secret whose source is missing, without running it', async () => {
    const file = pipelineFile(fx, {
      name: 'missing',
      secrets: { TOKEN: { file: 'secrets/token' } },
      jobs: { j: { steps: [{ run: { command: ['touch', 'ran'], env: { T: '${{ secrets.TOKEN }}' } } }] } },
    });
    const id = startRun(fx, file);
    expect(await execute(fx, id, file)).toBe('failed');
    expect(fx.store.runs.steps(id)[0]!.reason).toBe(
      'secret TOKEN (file secrets/token): file secrets are read from SLIPWAY_SECRETS_DIR, which is not set for this process',
    );
  });
});
