import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { submitDecision } from '../../../src/approvals/service.ts';
import type { PipelineFile } from '../../../src/config/types.ts';
import { processRef } from '../../../src/process/identity.ts';
import { Worker } from '../../../src/server/worker.ts';
import {
  type EngineFixture,
  engineFixture,
  fixturePolicy,
  pipelineFile,
  startRun,
  staticPolicy,
  until,
} from '../../support/engine-fixture.ts';
import { type ServeFixture, startServeFixture } from '../../support/serve-fixture.ts';
import { pushPayload } from '../../support/webhook-payloads.ts';

let fx: EngineFixture;
let worker: Worker | undefined;
beforeEach(() => {
  fx = engineFixture({ environments: { dev: {} }, people: { bob: { os: ['bob'] } } });
});
afterEach(async () => {
  await worker?.stop();
  worker = undefined;
  fx.cleanup();
});

function startWorker(file: PipelineFile, concurrency: number): Worker {
  worker = new Worker({
    store: fx.store,
    load: async () => ({ repo: fx.repo, pipeline: file, policy: fixturePolicy(fx, file) }),
    concurrency,
    pollMs: 50,
    graceMs: 1_000,
    log: () => {},
  });
  worker.start();
  return worker;
}

const status = (id: number) => fx.store.runs.get(id)!.status;

describe('worker slots', () => {
  it('approving a parked holder resumes it even when later runs of its environment wait for its lock', async () => {
    const file = pipelineFile(fx, {
      name: 'app',
      jobs: {
        deploy: {
          environment: 'dev',
          approval: { approvers: ['bob'] },
          steps: [{ run: { command: ['true'] } }],
        },
      },
    });
    const [a, b, c] = [startRun(fx, file), startRun(fx, file), startRun(fx, file)];
    startWorker(file, 2);
    await until(() => status(a) === 'waiting', 10_000, 'run A to park at its gate');
    // B and C wait for A's lock without holding a slot: they are set aside, not executing.
    await until(
      () => [b, c].every((id) => status(id) === 'queued' && fx.store.runs.jobs(id)[0]!.status === 'queued'),
      10_000,
      'runs B and C to be set aside behind the lock',
    );
    const outcome = await submitDecision(fx.store, {
      runId: a,
      actor: { identity: { channel: 'os', login: 'bob' }, channel: 'cli' },
      decision: 'approve',
      policy: staticPolicy(fixturePolicy(fx, file)),
    });
    expect(outcome.accepted).toBe(true);
    await until(() => status(a) === 'succeeded', 10_000, 'run A to finish after its approval');
    // The lock passes on in start order: B reaches its gate, C still waits behind it.
    await until(() => status(b) === 'waiting', 10_000, 'run B to reach its gate');
    expect(status(c)).toBe('queued');
    expect(fx.store.runs.jobs(c)[0]!.reason).toContain(`held by run ${b}`);
  });

  it('starts queued runs oldest first, beyond any page size, and keeps a slot for decided gates', async () => {
    const file = pipelineFile(fx, {
      name: 'app',
      jobs: { build: { steps: [{ run: { command: ['sleep', '0.3'] } }] } },
    });
    const ids = Array.from({ length: 4 }, () => startRun(fx, file));
    const w = startWorker(file, 3);
    // Three slots, but queued work takes at most two of them.
    await until(() => ids.some((id) => status(id) === 'running'), 10_000, 'a run to start');
    const running = ids.filter((id) => status(id) === 'running');
    expect(running).toEqual(ids.slice(0, 2));
    await w.idle();
    await until(() => ids.every((id) => status(id) === 'succeeded'), 20_000, 'every run to finish');
    const started = ids.map((id) => fx.store.runs.get(id)!.startedAt!);
    expect([...started].sort((x, y) => x - y)).toEqual(started);
  });
});

describe('worker recovery', () => {
  const file = () =>
    pipelineFile(fx, {
      name: 'app',
      jobs: { deploy: { environment: 'dev', steps: [{ run: { command: ['true'] } }] } },
    });

  it('queues again, by itself and with no other traffic, a run whose runner died before any step started', async () => {
    const f = file();
    const id = startRun(fx, f);
    const gone = spawnSync('true').pid!;
    fx.store.runs.claim(id, { pid: gone, host: hostname(), start: 'boot:1' });
    fx.store.runs.setStatus(id, 'running');
    startWorker(f, 2);
    await until(() => status(id) === 'succeeded', 10_000, 'the dead run to be queued again and finish');
    const reasons = fx.store.events.after(id, 0, 1_000, ['run']).map((e) => e.text ?? '');
    expect(reasons.some((r) => /died before any step started; queued again/.test(r))).toBe(true);
  });

  it('marks interrupted, at start-up, a run whose runner died mid-step, and stops the orphaned step', async () => {
    const f = file();
    const id = startRun(fx, f);
    const orphan = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' });
    const gone = spawnSync('true').pid!;
    fx.store.runs.claim(id, { pid: gone, host: hostname(), start: 'boot:1' });
    fx.store.runs.setStatus(id, 'running');
    fx.store.runs.setStepStatus(id, 'deploy', 0, 'running');
    fx.store.runs.setStepChild(id, 'deploy', 0, processRef(orphan.pid!));
    const exited = new Promise((resolve) => orphan.once('exit', resolve));
    startWorker(f, 2);
    await until(() => status(id) === 'interrupted', 10_000, 'the dead run to be recorded');
    await exited;
    expect(fx.store.runs.steps(id)[0]!.status).toBe('interrupted');
    expect(fx.store.locks.all()).toEqual([]);
  });

  it('keeps serving while another process holds the store locked past the busy timeout, then runs the work', async () => {
    const f = file();
    const id = startRun(fx, f);
    const dbPath = join(fx.dir, '.slipway', 'state.db');
    // Another process takes the write lock for longer than the 10 s busy timeout.
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `const { DatabaseSync } = require('node:sqlite');
         const db = new DatabaseSync(${JSON.stringify(dbPath)});
         db.exec('BEGIN IMMEDIATE'); console.log('locked');
         setTimeout(() => { db.exec('ROLLBACK'); db.close(); }, 11_000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise((resolve) => holder.stdout.once('data', resolve));
    const logs: string[] = [];
    worker = new Worker({
      store: fx.store,
      load: async () => ({ repo: fx.repo, pipeline: f, policy: fixturePolicy(fx, f) }),
      concurrency: 2,
      pollMs: 50,
      graceMs: 1_000,
      log: (l) => logs.push(l),
    });
    worker.start();
    await new Promise((resolve) => holder.once('exit', resolve));
    await until(() => status(id) === 'succeeded', 20_000, 'the run to go through once the lock is gone');
    expect(logs.some((l) => l.includes('database is locked'))).toBe(true);
  }, 60_000);
});

describe('worker shutdown', () => {
  it('interrupts a step still running after the grace period, records it, and releases the lock', async () => {
    const f = pipelineFile(fx, {
      name: 'app',
      jobs: {
        deploy: {
          environment: 'dev',
          steps: [{ run: { command: ['sh', '-c', 'echo $$ > pid; exec sleep 30'] } }],
        },
        after: { needs: ['deploy'], steps: [{ run: { command: ['true'] } }] },
      },
    });
    const id = startRun(fx, f);
    const logs: string[] = [];
    const w = new Worker({
      store: fx.store,
      load: async () => ({ repo: fx.repo, pipeline: f, policy: fixturePolicy(fx, f) }),
      concurrency: 2,
      pollMs: 50,
      graceMs: 300,
      log: (l) => logs.push(l),
    });
    w.start();
    await until(() => existsSync(join(fx.dir, 'pid')), 10_000, 'the step to start');
    const pid = Number(readFileSync(join(fx.dir, 'pid'), 'utf8'));
    await w.stop();
    expect(fx.store.runs.get(id)).toMatchObject({ status: 'interrupted', owner: undefined });
    expect(fx.store.runs.steps(id, 'deploy')[0]).toMatchObject({
      status: 'interrupted',
      reason: expect.stringContaining('slipway serve was stopped'),
    });
    // The job that never started stays pending, so a resume runs it.
    expect(fx.store.runs.job(id, 'after')!.status).toBe('pending');
    expect(fx.store.locks.all()).toEqual([]);
    expect(() => process.kill(pid, 0)).toThrow();
    expect(logs.at(-1)).toContain('recorded as interrupted');
  });
});

let serveFx: ServeFixture | undefined;
afterEach(async () => {
  await serveFx?.close();
  serveFx = undefined;
});

describe('slipway serve: worker loop', () => {
  it('executes the run a push queued', async () => {
    serveFx = await startServeFixture({ worker: { concurrency: 2, pollMs: 50, graceMs: 5_000 } });
    const sha = await serveFx.origin.commit({ 'app.txt': 'v2' });
    const res = await serveFx.deliver(
      'github',
      'push',
      pushPayload('github', { ref: 'refs/heads/main', after: sha }),
    );
    expect(res.status).toBe(202);
    await serveFx.server.idle();
    const [run] = serveFx.server.store.runs.list();
    expect(run).toMatchObject({ pipeline: 'web', sha, status: 'succeeded' });
    expect(serveFx.server.store.runs.steps(run!.id).map((s) => s.status)).toEqual(['succeeded']);
  });
});
