/**
 * The docker-host step where Docker already runs (a full sandbox host: the machine's docker.io and
 * docker-compose, its dockerd started by the sandbox): the plan shows no change and the apply changes
 * nothing, so the infra pipeline `slipway init` writes may run it on servers that have Docker already.
 * Compose path on these hosts: v1 (`docker-compose`), as on the bare hosts of bare-host.test.ts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/store.ts';
import { tempOpsRepo } from '../support/ops-repo.ts';
import { REPO_ROOT, type SandboxFixture, useSandbox } from '../support/sandbox.ts';

describe('the docker-host step on a host that has Docker: no change planned, none made', () => {
  let sb: SandboxFixture;
  let repo: string;
  let state: string;

  const slipway = (...args: string[]) =>
    execa(join(REPO_ROOT, 'bin/slipway'), ['-C', repo, '--inventories', sb.inventoriesRoot, ...args], {
      env: { ...process.env, SLIPWAY_STATE: state },
      reject: false,
      timeout: 300_000,
    });

  beforeAll(async () => {
    sb = await useSandbox({ name: 'dockerhost', hosts: ['dev1'] });
    state = join(await mkdtemp(join(tmpdir(), 'slipway-docker-host-')), 'state.db');
    repo = tempOpsRepo({
      'slipway.yml': `environments: { dev: {} }\npeople: { alice: { os: [${userInfo().username}] } }\n`,
      'pipelines/docker.yml': [
        'name: docker',
        'jobs:',
        '  docker:',
        '    environment: dev',
        '    approval: { approvers: [alice], allow_self_approval: true }',
        '    steps:',
        '      - docker-host: { hosts: web }',
        '',
      ].join('\n'),
    });
  });

  afterAll(async () => {
    if (repo) await rm(repo, { recursive: true, force: true });
    if (state) await rm(join(state, '..'), { recursive: true, force: true });
  });

  it('plans no change', async () => {
    const planned = await slipway('plan', 'docker', '--json');
    expect(planned.exitCode, planned.stderr).toBe(0);
    expect(JSON.parse(planned.stdout)).toEqual({
      docker: [{ step: 0, kind: 'docker-host', name: 'docker-host', changes: [] }],
    });
  });

  it('changes nothing once approved, and dockerd keeps running', async () => {
    const before = await sb.exec('dev1', ['docker', 'info', '--format', '{{.ID}}']);
    const started = await slipway('run', 'docker', '--detach');
    expect(started.exitCode, started.stderr).toBe(3);
    const run = Number(/run (\d+)/.exec(started.stderr)![1]);
    const approved = await slipway('approve', String(run));
    expect(approved.exitCode, approved.stderr).toBe(0);
    const store = new Store(state);
    try {
      expect(store.detail(run)!.hosts.map((h) => `${h.host} ${h.status}`)).toEqual(['dev1 ok']);
    } finally {
      store.close();
    }
    expect(await sb.exec('dev1', ['docker', 'info', '--format', '{{.ID}}'])).toBe(before);
  });
});
