/**
 * The `ansible` step end to end on sandbox hosts, through the CLI: a playbook of the ops repository that
 * changes a file on the hosts. The plan shows the diff per host, the run stops at the gate with nothing
 * changed, the approval applies it (per-host statuses), and a second plan shows no change.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/store.ts';
import { tempOpsRepo } from '../support/ops-repo.ts';
import { REPO_ROOT, type SandboxFixture, useSandbox } from '../support/sandbox.ts';

const HOSTS = ['dev1', 'dev2'];
const FILE = '/etc/slipway-motd';

describe('the ansible step on the sandbox: plan, gate, apply, plan again', () => {
  let sb: SandboxFixture;
  let repo: string;
  let state: string;

  const slipway = (...args: string[]) =>
    execa(join(REPO_ROOT, 'bin/slipway'), ['-C', repo, '--inventories', sb.inventoriesRoot, ...args], {
      env: { ...process.env, SLIPWAY_STATE: state },
      reject: false,
      timeout: 300_000,
    });
  const motd = (host: string) => sb.exec(host, ['cat', FILE]);

  beforeAll(async () => {
    sb = await useSandbox({ name: 'ansiblestep', hosts: HOSTS });
    for (const h of HOSTS) await sb.exec(h, ['tee', FILE], { input: 'Welcome\nold line\n' });
    state = join(await mkdtemp(join(tmpdir(), 'slipway-ansible-step-')), 'state.db');
    repo = tempOpsRepo({
      'slipway.yml': `environments: { dev: {} }\npeople: { alice: { os: [${userInfo().username}] } }\n`,
      'pipelines/site.yml': [
        'name: site',
        'jobs:',
        '  motd:',
        '    environment: dev',
        '    approval: { approvers: [alice], allow_self_approval: true }',
        '    steps:',
        '      - ansible:',
        '          playbook: playbooks/motd.yml',
        '          hosts: web',
        '          tags: [motd]',
        '          extra_vars: { motd_line: "Managed by Slipway" }',
        '',
      ].join('\n'),
      'playbooks/motd.yml': [
        '- hosts: web',
        '  gather_facts: false',
        '  tasks:',
        '    - name: Write the motd',
        '      tags: [motd]',
        '      template: { src: motd.j2, dest: /etc/slipway-motd, mode: "0644" }',
        '    - name: Untagged, never run here',
        '      copy: { dest: /etc/slipway-untagged, content: "x" }',
        '',
      ].join('\n'),
      'playbooks/motd.j2': 'Welcome to {{ inventory_hostname }}\n{{ motd_line }}\n',
    });
  });

  afterAll(async () => {
    if (repo) await rm(repo, { recursive: true, force: true });
    if (state) await rm(join(state, '..'), { recursive: true, force: true });
  });

  it('plans the diff of each host over SSH, changing nothing', async () => {
    const planned = await slipway('plan', 'site');
    expect(planned.exitCode, planned.stderr).toBe(0);
    for (const h of HOSTS) {
      expect(planned.stdout).toContain(
        [
          `    change ${h}: Write the motd: ${FILE}`,
          '        @@ -1,2 +1,2 @@',
          '        -Welcome',
          '        -old line',
          `        +Welcome to ${h}`,
          '        +Managed by Slipway',
        ].join('\n'),
      );
    }
    for (const h of HOSTS) expect(await motd(h)).toBe('Welcome\nold line');
  });

  it('stops at the gate with the plan, changes the file once approved, with per-host results', async () => {
    const started = await slipway('run', 'site', '--detach');
    expect(started.exitCode, started.stderr).toBe(3);
    const run = /run (\d+)/.exec(started.stderr)![1]!;
    const store = new Store(state);
    try {
      const gate = store.gates.latest(Number(run), 'motd')!;
      expect(gate.plan[0]!.changes.map((c) => `${c.host} ${c.subject}`)).toEqual(
        HOSTS.map((h) => `${h} Write the motd: ${FILE}`),
      );
    } finally {
      store.close();
    }
    for (const h of HOSTS) expect(await motd(h)).toBe('Welcome\nold line');

    const approved = await slipway('approve', run);
    expect(approved.exitCode, approved.stderr).toBe(0);
    for (const h of HOSTS) {
      expect(await motd(h)).toBe(`Welcome to ${h}\nManaged by Slipway`);
      expect(await sb.exec(h, ['sh', '-c', 'test -e /etc/slipway-untagged && echo yes || echo no'])).toBe(
        'no',
      );
    }
    const after = new Store(state);
    try {
      const hosts = after.detail(Number(run))!.hosts.map((h) => `${h.host} ${h.status}`);
      expect(hosts.sort()).toEqual(HOSTS.map((h) => `${h} changed`));
    } finally {
      after.close();
    }
  });

  it('plans no change a second time', async () => {
    const again = await slipway('plan', 'site', '--json');
    expect(again.exitCode, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({
      motd: [{ step: 0, kind: 'ansible', name: 'ansible', changes: [] }],
    });
  });
});
