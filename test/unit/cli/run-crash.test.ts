import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { groupAlive, signalGroup } from '../../../src/process/group.ts';
import { Store } from '../../../src/store/store.ts';
import { until } from '../../support/engine-fixture.ts';
import { tempOpsRepo } from '../../support/ops-repo.ts';
import { slipwayIn } from '../../support/slipway-cli.ts';

const SLIPWAY = resolve(import.meta.dirname, '../../../bin/slipway');

let dir: string | undefined;
let runner: ChildProcess | undefined;
afterEach(() => {
  runner?.kill('SIGKILL');
  if (dir) {
    // The step's own process group, if a failed assertion left it running.
    const pid = existsSync(join(dir, 'step.pid')) ? Number(readFileSync(join(dir, 'step.pid'), 'utf8')) : 0;
    if (pid > 1) signalGroup(pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
  dir = undefined;
  runner = undefined;
});

const slipway = (...args: string[]) => slipwayIn(dir!, ...args);

describe('slipway run, kill -9 of the runner, resume', () => {
  it('marks the step interrupted, refuses to re-apply it silently, and re-applies only when told to', async () => {
    dir = tempOpsRepo({
      'slipway.yml': `environments: { dev: {} }\npeople: { alice: { os: [${userInfo().username}] } }\n`,
      'inventories/dev/hosts.yml': 'all:\n  hosts:\n    web1: { ansible_host: 127.0.0.1 }\n',
      'pipelines/app.yml': [
        'name: app',
        'jobs:',
        '  deploy:',
        '    environment: dev',
        '    steps:',
        // Records each application; the first one blocks (until killed) so the runner dies mid-step.
        `      - run: { command: [sh, -c, 'echo applied >> applied.log; [ -e release ] || { echo $$ > step.pid; exec sleep 60; }'] }`,
        '',
      ].join('\n'),
    });
    runner = spawn(SLIPWAY, ['-C', dir, 'run', 'pipelines/app.yml'], { stdio: 'ignore' });
    const store = new Store(join(dir, '.slipway', 'state.db'));
    try {
      await until(() => existsSync(join(dir!, 'step.pid')), 20_000, 'the step to start');
      const stepPid = Number(readFileSync(join(dir, 'step.pid'), 'utf8'));
      expect(store.runs.steps(1)[0]!.status).toBe('running');
      runner.kill('SIGKILL');
      await new Promise((r) => runner!.once('exit', r));

      const refused = slipway('resume', '1');
      expect(refused.status).toBe(1);
      expect(refused.stderr).toContain('run 1 was interrupted during deploy[0] run; its effect is unknown');
      expect(refused.stderr).toContain('--retry-interrupted');
      expect(readFileSync(join(dir, 'applied.log'), 'utf8')).toBe('applied\n');
      // The dead runner's step process group was stopped when the interruption was recorded.
      await until(() => !groupAlive(stepPid), 10_000, 'the orphaned step to stop');

      const shown = slipway('show', '1');
      expect(shown.stdout).toMatch(
        /! run interrupted .*— the runner \(pid \d+ on .+\) died while this step ran/,
      );
      expect(shown.stdout).toContain('release-lock recorded — lock on dev released');

      writeFileSync(join(dir, 'release'), '');
      const resumed = slipway('resume', '1', '--retry-interrupted');
      expect(resumed.stderr).toContain('run 1 succeeded');
      expect(resumed.status).toBe(0);
      expect(readFileSync(join(dir, 'applied.log'), 'utf8')).toBe('applied\napplied\n');
      expect(store.runs.steps(1)[0]).toMatchObject({ status: 'succeeded', attempt: 2 });
      expect(store.gates.auditTrail(1).map((a) => [a.actor, a.action])).toEqual([
        ['slipway', 'release-lock'],
        [`alice (os:${userInfo().username}, uid ${process.getuid!()})`, 'retry-interrupted'],
      ]);
    } finally {
      store.close();
    }
  }, 120_000);

  it('exits 3 when detached at a gate, 2 on invalid config, and 0 after approval continues the run', () => {
    dir = tempOpsRepo({
      'slipway.yml': `people: { alice: { os: [${userInfo().username}] } }\n`,
      'pipelines/gated.yml': [
        'name: gated',
        'jobs:',
        '  ship:',
        // One operator starts and approves: the default branch allows it here (self-approval is off by default).
        '    approval: { approvers: [alice], allow_self_approval: true }',
        '    steps:',
        '      - run: { command: [touch, shipped] }',
        '',
      ].join('\n'),
    });
    const detached = slipway('run', 'gated', '--detach');
    expect(detached.status).toBe(3);
    expect(detached.stdout).toContain('slipway approve 1 ship');
    expect(slipway('approvals').stdout).toContain('run touch shipped');
    const approved = slipway('approve', '1');
    expect(approved.stderr).toContain('approved by alice (1 of 1)');
    expect(approved.status).toBe(0);
    expect(existsSync(join(dir, 'shipped'))).toBe(true);
    expect(slipway('run', 'nope').status).toBe(2);
  }, 120_000);
});
