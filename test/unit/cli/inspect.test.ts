import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempOpsRepo } from '../../support/ops-repo.ts';

const SLIPWAY = resolve(import.meta.dirname, '../../../bin/slipway');
const SECRET = 'tok-4f1c9e2b7a-secret';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function slipway(...args: string[]) {
  return spawnSync(SLIPWAY, ['-C', dir!, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, BENCH_TOKEN: SECRET },
  });
}

describe('slipway logs, runs, show, cancel', () => {
  it('streams NDJSON, stores masked logs, lists and shows runs, and cancels a parked run as the operator', () => {
    dir = tempOpsRepo({
      'slipway.yml': `environments: { dev: {} }\npeople: { alice: { os: [${userInfo().username}] } }\n`,
      'inventories/dev/hosts.yml': 'all:\n  hosts:\n    web1: { ansible_host: 127.0.0.1 }\n',
      'pipelines/app.yml': [
        'name: app',
        'secrets: { TOKEN: { env: BENCH_TOKEN } }',
        'jobs:',
        '  build:',
        `    steps: [ { run: { command: [sh, -c, 'echo "using $T"'], env: { T: '\${{ secrets.TOKEN }}' } } } ]`,
        '  deploy:',
        '    needs: [build]',
        '    environment: dev',
        '    approval: { approvers: [bob] }',
        '    steps: [ { run: { command: [touch, deployed] } } ]',
        '',
      ].join('\n'),
    });
    const run = slipway('run', 'app', '--json', '--detach');
    expect(run.status).toBe(3);
    const events = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { kind: string; text?: string; status?: string });
    expect(events.filter((e) => e.kind === 'log').map((e) => e.text)).toEqual(['using ***']);
    expect(events.at(-1)).toMatchObject({ kind: 'run', status: 'waiting' });
    expect(run.stdout).not.toContain(SECRET);

    const logs = slipway('logs', '1');
    expect(logs.stdout).toMatch(/build › run \| using \*\*\*/);
    expect(logs.stdout).not.toContain(SECRET);

    const runs = JSON.parse(slipway('runs', '--json').stdout) as {
      runs: { id: number; status: string }[];
      locks: unknown[];
    };
    expect(runs.runs).toMatchObject([{ id: 1, status: 'waiting' }]);
    expect(runs.locks).toMatchObject([{ environment: 'dev', runId: 1 }]);

    // alice may not approve (not listed): refused, audited, exit 1.
    const refused = slipway('approve', '1');
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('refused: alice is not among the approvers (bob)');

    const cancel = slipway('cancel', '1');
    expect(cancel.status).toBe(0);
    // CLI records name the person with the OS account and uid the decision came from.
    const me = `alice (os:${userInfo().username}, uid ${process.getuid!()})`;
    expect(cancel.stderr).toContain(`run 1 canceled by ${me}`);

    const shown = JSON.parse(slipway('show', '1', '--json').stdout) as {
      run: { status: string; reason: string };
      jobs: { name: string; status: string }[];
      audit: { actor: string; action: string; outcome: string }[];
    };
    expect(shown.run).toMatchObject({ status: 'canceled', reason: `canceled by ${me}` });
    expect(shown.jobs.map((j) => [j.name, j.status])).toEqual([
      ['build', 'succeeded'],
      ['deploy', 'canceled'],
    ]);
    expect(shown.audit.map((a) => [a.actor, a.action, a.outcome])).toEqual([
      [me, 'approve', 'refused'],
      [me, 'cancel', 'accepted'],
    ]);
    expect(JSON.parse(slipway('runs', '--json').stdout).locks).toEqual([]);
  }, 120_000);
});
