import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cancelRun } from '../../../src/engine/cancel.ts';
import {
  type EngineFixture,
  engineFixture,
  execute,
  pipelineFile,
  startRun,
  until,
} from '../../support/engine-fixture.ts';

const sh = (script: string) => ({ run: { command: ['sh', '-c', script] } });

let fx: EngineFixture;
beforeEach(() => {
  fx = engineFixture();
});
afterEach(() => fx.cleanup());

describe('job scheduling', () => {
  it('runs independent jobs in parallel and their dependent after both', async () => {
    // Each branch waits for the other to have started: serial execution would hit the step timeout.
    const file = pipelineFile(fx, {
      name: 'par',
      jobs: {
        a: {
          steps: [
            { ...sh('touch a.started; while [ ! -e b.started ]; do sleep 0.02; done'), timeout: '10s' },
          ],
        },
        b: {
          steps: [
            { ...sh('touch b.started; while [ ! -e a.started ]; do sleep 0.02; done'), timeout: '10s' },
          ],
        },
        c: { needs: ['a', 'b'], steps: [sh('test -e a.started && test -e b.started && touch c.done')] },
      },
    });
    const id = startRun(fx, file);
    expect(await execute(fx, id, file)).toBe('succeeded');
    expect(existsSync(join(fx.dir, 'c.done'))).toBe(true);
    expect(fx.store.runs.jobs(id).map((j) => j.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
  });

  it('skips the dependents of a failed job, with the reason, and still runs independent jobs', async () => {
    const file = pipelineFile(fx, {
      name: 'fail',
      jobs: {
        build: { steps: [sh('echo broken >&2; exit 3')] },
        deploy: { needs: ['build'], steps: [sh('touch deployed')] },
        notify: { needs: ['deploy'], steps: [sh('touch notified')] },
        lint: { steps: [sh('touch linted')] },
      },
    });
    const id = startRun(fx, file);
    expect(await execute(fx, id, file)).toBe('failed');
    const jobs = Object.fromEntries(fx.store.runs.jobs(id).map((j) => [j.name, j]));
    expect(jobs.build!.status).toBe('failed');
    expect(jobs.build!.reason).toBe('sh exited with code 3');
    expect(jobs.deploy!.status).toBe('skipped');
    expect(jobs.deploy!.reason).toBe('needs build, which failed');
    expect(jobs.notify!.reason).toBe('needs deploy, which skipped');
    expect(jobs.lint!.status).toBe('succeeded');
    expect(existsSync(join(fx.dir, 'deployed'))).toBe(false);
    expect(existsSync(join(fx.dir, 'linted'))).toBe(true);
  });

  it('retries a failing step as declared and succeeds on the third attempt', async () => {
    const file = pipelineFile(fx, {
      name: 'retry',
      jobs: {
        flaky: {
          retries: 2,
          steps: [sh('n=$(cat count 2>/dev/null || echo 0); n=$((n+1)); echo $n > count; [ $n -ge 3 ]')],
        },
      },
    });
    const id = startRun(fx, file);
    expect(await execute(fx, id, file)).toBe('succeeded');
    const [step] = fx.store.runs.steps(id);
    expect(step!.attempt).toBe(3);
    expect(readFileSync(join(fx.dir, 'count'), 'utf8').trim()).toBe('3');
    const failures = fx.store.events.after(id, 0, 1000, ['step']).filter((e) => e.status === 'failed');
    expect(failures.map((e) => e.text)).toEqual([
      'sh exited with code 1; retry 1 of 2 in 0.0s',
      'sh exited with code 1; retry 2 of 2 in 0.0s',
    ]);
  });

  it('fails a step that runs past its timeout and stops its process', async () => {
    const file = pipelineFile(fx, {
      name: 'slow',
      jobs: { wait: { steps: [{ ...sh('echo $$ > pid; exec sleep 60'), timeout: '300ms' }] } },
    });
    const id = startRun(fx, file);
    expect(await execute(fx, id, file)).toBe('failed');
    const [step] = fx.store.runs.steps(id);
    expect(step!.status).toBe('failed');
    expect(step!.reason).toBe('timed out after 0.3s');
    const pid = Number(readFileSync(join(fx.dir, 'pid'), 'utf8'));
    await until(() => !alive(pid), 10_000, 'the timed-out process to exit');
  });

  it('fails a job that runs past its job timeout', async () => {
    const file = pipelineFile(fx, {
      name: 'slowjob',
      jobs: { wait: { timeout: '300ms', steps: [sh('exec sleep 60')] } },
    });
    const id = startRun(fx, file);
    expect(await execute(fx, id, file)).toBe('failed');
    expect(fx.store.runs.jobs(id)[0]!.reason).toBe('the job timed out after 0.3s');
  });

  it('stops the whole run when the pipeline timeout passes, skipping what had not started', async () => {
    const file = pipelineFile(fx, {
      name: 'slowpipe',
      timeout: '300ms',
      jobs: { wait: { steps: [sh('exec sleep 60')] }, after: { needs: ['wait'], steps: [sh('true')] } },
    });
    const id = startRun(fx, file);
    expect(await execute(fx, id, file)).toBe('failed');
    const detail = fx.store.detail(id)!;
    expect(detail.run.reason).toBe('the pipeline timed out after 0.3s');
    expect(detail.jobs.map((j) => [j.status, j.reason])).toEqual([
      ['failed', 'the pipeline timed out after 0.3s'],
      ['skipped', 'run stopped: the pipeline timed out after 0.3s'],
    ]);
  });

  it('cancel from the store stops the running step, its grandchildren too, and records who canceled', async () => {
    const file = pipelineFile(fx, {
      name: 'cancel',
      jobs: {
        long: { steps: [sh('sleep 60 & echo $! > grandchild.pid; wait'), sh('touch never')] },
        after: { needs: ['long'], steps: [sh('touch never2')] },
      },
    });
    const id = startRun(fx, file);
    const done = execute(fx, id, file);
    const pidFile = join(fx.dir, 'grandchild.pid');
    await until(
      () => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '',
      10_000,
      'the step to start',
    );
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    expect(await cancelRun(fx.store, id, 'alice', 'cli')).toBe('requested');
    expect(await done).toBe('canceled');
    await until(() => !alive(grandchild), 10_000, 'the grandchild to die');
    const detail = fx.store.detail(id)!;
    expect(detail.run.reason).toBe('canceled by alice');
    expect(detail.steps.map((s) => s.status)).toEqual(['canceled', 'skipped', 'pending']);
    expect(detail.jobs.map((j) => j.status)).toEqual(['canceled', 'skipped']);
    expect(fx.store.gates.auditTrail(id).map((a) => [a.actor, a.action])).toEqual([['alice', 'cancel']]);
    expect(existsSync(join(fx.dir, 'never'))).toBe(false);
  });

  it('refuses a run with an unknown need or a cycle before storing anything', () => {
    const cyclic = pipelineFile(fx, {
      name: 'cyc',
      jobs: { a: { needs: ['b'], steps: [sh('true')] }, b: { needs: ['a'], steps: [sh('true')] } },
    });
    expect(() => startRun(fx, cyclic)).toThrow('jobs of cyc need each other in a cycle: a -> b -> a');
    const unknown = pipelineFile(fx, { name: 'unk', jobs: { a: { needs: ['zzz'], steps: [sh('true')] } } });
    expect(() => startRun(fx, unknown)).toThrow('job a needs zzz, which is not a job of unk');
    expect(fx.store.runs.list()).toEqual([]);
  });

  it('passes env and working directory to run steps', async () => {
    writeFileSync(join(fx.dir, 'marker'), '');
    const file = pipelineFile(fx, {
      name: 'env',
      jobs: {
        a: {
          steps: [
            {
              run: {
                command: ['sh', '-c', 'echo "$GREETING from $(pwd)"'],
                cwd: '.',
                env: { GREETING: 'hi' },
              },
            },
          ],
        },
      },
    });
    const id = startRun(fx, file);
    expect(await execute(fx, id, file)).toBe('succeeded');
    const lines = fx.store.events.after(id, 0, 100, ['log']).map((e) => e.text);
    expect(lines).toEqual([`hi from ${fx.dir}`]);
  });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
