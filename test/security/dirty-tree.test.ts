import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempOpsRepo } from '../support/ops-repo.ts';
import { slipwayIn } from '../support/slipway-cli.ts';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const slipway = (...args: string[]) => slipwayIn(dir!, ...args);

function repo(): string {
  return tempOpsRepo({
    'slipway.yml': `people: { alice: { os: [${userInfo().username}] } }\n`,
    'pipelines/app.yml': [
      'name: app',
      'jobs:',
      '  ship:',
      // The operator both starts and approves here: what is refused must be the edited tree.
      '    approval: { approvers: [alice], allow_self_approval: true }',
      '    steps:',
      '      - run: { command: [touch, shipped] }',
      '',
    ].join('\n'),
  });
}

describe('what is approved is a commit: the CLI refuses a working tree that differs from HEAD', () => {
  it('refuses `run` with a tracked edit, naming the file and what to do, and records no run', () => {
    dir = repo();
    writeFileSync(
      join(dir, 'pipelines/app.yml'),
      'name: app\njobs:\n  ship:\n    steps:\n      - run: { command: [touch, shipped] }\n',
    );
    const r = slipway('run', 'app');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('working tree differs from HEAD');
    expect(r.stderr).toContain('pipelines/app.yml');
    expect(r.stderr).toContain('git stash --include-untracked');
    expect(existsSync(join(dir, 'shipped'))).toBe(false);
    expect(slipway('runs').stdout).not.toContain('app');
  });

  it('refuses `run` with an untracked file in what the run reads, and allows one elsewhere', () => {
    dir = repo();
    mkdirSync(join(dir, 'inventories/dev'), { recursive: true });
    writeFileSync(join(dir, 'inventories/dev/extra.yml'), 'all: {}\n');
    const refused = slipway('run', 'app', '--detach');
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('untracked in what the run reads');
    expect(refused.stderr).toContain('inventories/dev/extra.yml');

    rmSync(join(dir, 'inventories'), { recursive: true });
    writeFileSync(join(dir, 'notes.txt'), 'not read by any step\n');
    const ran = slipway('run', 'app', '--detach');
    expect(ran.status).toBe(3);
  });

  it('records only the commit and branch checked out: no option names another', () => {
    dir = repo();
    for (const flag of [
      ['--sha', 'f'.repeat(40)],
      ['--branch', 'main'],
    ]) {
      const r = slipway('run', 'app', '--detach', ...flag);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain(`unknown option '${flag[0]}'`);
    }
    expect(existsSync(join(dir, '.slipway', 'state.db'))).toBe(false);
  });

  it('refuses to continue a stored run once the tree is edited (approve, resume)', () => {
    dir = repo();
    expect(slipway('run', 'app', '--detach').status).toBe(3);
    writeFileSync(
      join(dir, 'slipway.yml'),
      `people: { alice: { os: [${userInfo().username}] } }\n# edited\n`,
    );
    const approved = slipway('approve', '1');
    expect(approved.stderr).toContain('refused: the working tree differs from HEAD');
    expect(approved.stderr).toContain('slipway.yml');
    expect(approved.status).toBe(1);
    expect(existsSync(join(dir, 'shipped'))).toBe(false);
    const resumed = slipway('resume', '1');
    expect(resumed.status).toBe(1);
    expect(existsSync(join(dir, 'shipped'))).toBe(false);
  });

  it('lets `plan` show a dirty tree but says so', () => {
    dir = repo();
    writeFileSync(
      join(dir, 'pipelines/app.yml'),
      'name: app\njobs:\n  ship:\n    steps:\n      - run: { command: [touch, other] }\n',
    );
    const r = slipway('plan', 'app');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('touch other');
    expect(r.stderr).toContain('warning: this plan includes uncommitted edits (pipelines/app.yml)');
  });
});
