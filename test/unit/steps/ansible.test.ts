import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { playbookArgs } from '../../../src/ansible/runner.ts';
import { loadRepo } from '../../../src/config/load-repo.ts';
import type { Inventory, OpsRepo } from '../../../src/config/types.ts';
import { ansibleHandler, playbookOptionsOf } from '../../../src/steps/ansible.ts';
import { ansibleKind } from '../../../src/steps/kinds/ansible.ts';
import { tempOpsRepo } from '../../support/ops-repo.ts';
import { stepContext } from '../../support/step-context.ts';

const options = (o: Record<string, unknown>) => ansibleKind.schema.parse({ ansible: o }).ansible;

describe('the argv of an ansible step (golden)', () => {
  const web1 = {
    name: 'web1',
    address: '10.0.0.1',
    port: 22,
    vars: { slipway_known_hosts: 'inventories/known_hosts' },
    groups: ['all', 'web'],
  };
  const inventory: Inventory = {
    environment: 'dev',
    dir: '/srv/ops/inventories/dev',
    hosts: new Map([['web1', web1]]),
    groups: new Map([['web', ['web1']]]),
    ansibleList: {},
  };
  const input = {
    playbook: 'playbooks/site.yml',
    inventory,
    hosts: [web1],
    root: '/srv/ops',
    vaultPasswordFile: '/etc/slipway/vault-pw',
  };

  it('plans with --check --diff, limited to its hosts, with tags, extra vars and the vault password file', () => {
    const o = playbookOptionsOf({
      ...input,
      options: options({
        playbook: 'playbooks/site.yml',
        hosts: 'web',
        tags: ['motd', 'ntp'],
        extra_vars: { a: 1 },
      }),
      check: true,
    });
    expect(playbookArgs(o, '/data/env/extravars')).toEqual([
      '-i',
      '/srv/ops/inventories/dev',
      '--check',
      '--diff',
      '--limit',
      'web',
      '--tags',
      'motd,ntp',
      '--extra-vars',
      '@/data/env/extravars',
      '--vault-password-file',
      '/etc/slipway/vault-pw',
      'playbooks/site.yml',
    ]);
    expect(o.extraVars).toEqual({ a: 1 });
    expect(o.cwd).toBe('/srv/ops');
    expect(o.knownHosts).toEqual(['/srv/ops/inventories/known_hosts']);
    expect(o.rolesPath).toEqual(['/srv/ops/roles']);
  });

  it('applies without --check or --diff; no extra vars file when there are none', () => {
    const o = playbookOptionsOf({
      ...input,
      options: options({ playbook: 'playbooks/site.yml' }),
      check: false,
    });
    expect(o.extraVars).toBeUndefined();
    expect(playbookArgs(o)).toEqual([
      '-i',
      '/srv/ops/inventories/dev',
      '--limit',
      'all',
      '--vault-password-file',
      '/etc/slipway/vault-pw',
      'playbooks/site.yml',
    ]);
  });
});

// The real ansible-playbook on the runner itself (ansible_connection: local): files in a temp dir stand for
// the hosts' files. The sandbox e2e (test/e2e/ansible-step.test.ts) runs the same over SSH, with a gate.
describe('the ansible step on local hosts', () => {
  let out: string;
  let root: string;
  let repo: OpsRepo;
  const local = 'ansible_connection: local, ansible_python_interpreter: /usr/bin/python3';

  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), 'slipway-ansible-step-'));
    root = tempOpsRepo({
      'inventories/dev/hosts.yml': `all:\n  children:\n    web:\n      hosts:\n        h1: { ${local} }\n        h2: { ${local} }\n    db:\n      hosts:\n        d1: { ${local} }\n`,
      'pipelines/site.yml':
        'name: site\njobs:\n  conf:\n    environment: dev\n    steps:\n      - ansible: { playbook: playbooks/motd.yml }\n',
      'playbooks/motd.yml': [
        '- hosts: web',
        '  gather_facts: false',
        '  tasks:',
        '    - name: Write the motd',
        '      tags: [motd]',
        `      copy: { dest: "${out}/{{ inventory_hostname }}.motd", content: "{{ motd_text }}\\n" }`,
        '    - name: Write the banner',
        '      tags: [banner]',
        `      copy: { dest: "${out}/{{ inventory_hostname }}.banner", content: "banner\\n" }`,
        '',
      ].join('\n'),
      'playbooks/broken.yml':
        '- hosts: web\n  tasks:\n    - name: no module\n      nosuchmodule_at_all: {}\n',
      'playbooks/fails.yml': `- hosts: web\n  gather_facts: false\n  tasks:\n    - name: Fail on h2\n      fail: { msg: "h2 says no" }\n      when: inventory_hostname == "h2"\n`,
      'roles/greeting/tasks/main.yml': `- name: Greet\n  template: { src: greeting.j2, dest: "${out}/{{ inventory_hostname }}.greeting" }\n`,
      'roles/greeting/templates/greeting.j2': 'hello {{ who }} from {{ inventory_hostname }}\n',
    });
    const loaded = await loadRepo(root);
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    repo = loaded.repo;
  });
  afterAll(() => {
    rmSync(out, { recursive: true, force: true });
    rmSync(root, { recursive: true, force: true });
  });

  const ctxOf = () =>
    stepContext({
      workdir: root,
      sha: 'a'.repeat(40),
      pipeline: {
        name: 'site',
        jobs: { conf: { environment: 'dev', steps: [{ run: { command: ['true'] } }] } },
      },
      inventory: repo.inventories.get('dev')!,
      repo,
    });
  const stepOf = (o: Record<string, unknown>) => ansibleKind.schema.parse({ ansible: o });

  it('plans the diff of each host, changes nothing, applies it, then plans nothing', async () => {
    const step = stepOf({
      playbook: 'playbooks/motd.yml',
      tags: ['motd'],
      extra_vars: { motd_text: 'Managed' },
    });
    const plan = await ansibleHandler.plan(ctxOf().ctx, step);
    expect(plan).toEqual(
      ['h1', 'h2'].map((h) => ({
        host: h,
        action: 'change',
        subject: `Write the motd: ${out}/${h}.motd`,
        detail: '@@ -0,0 +1,1 @@\n+Managed',
      })),
    );
    expect(existsSync(join(out, 'h1.motd'))).toBe(false);

    const { ctx, statuses, lines } = ctxOf();
    expect(await ansibleHandler.apply(ctx, step)).toEqual({
      changed: true,
      hosts: { h1: 'changed', h2: 'changed', d1: 'skipped' },
    });
    expect(readFileSync(join(out, 'h1.motd'), 'utf8')).toBe('Managed\n');
    // The tag left the banner out.
    expect(existsSync(join(out, 'h1.banner'))).toBe(false);
    expect(statuses.filter((s) => s.host === 'h1').map((s) => s.status)).toEqual(['running', 'changed']);
    expect(lines.map((l) => l.line)).toContain(
      'TASK [Write the motd] **********************************************************',
    );

    expect(await ansibleHandler.plan(ctxOf().ctx, step)).toEqual([]);
    expect(await ansibleHandler.apply(ctxOf().ctx, step)).toEqual({
      changed: false,
      hosts: { h1: 'ok', h2: 'ok', d1: 'skipped' },
    });
  });

  it('runs a role of the repository alone in a play, limited to the step hosts', async () => {
    const step = stepOf({ role: 'roles/greeting', hosts: 'h1', extra_vars: { who: 'ops' } });
    const plan = await ansibleHandler.plan(ctxOf().ctx, step);
    expect(plan.map((c) => `${c.host} ${c.subject}\n${c.detail}`)).toEqual([
      `h1 greeting : Greet: ${out}/h1.greeting\n@@ -0,0 +1,1 @@\n+hello ops from h1`,
    ]);
    expect(await ansibleHandler.apply(ctxOf().ctx, step)).toEqual({
      changed: true,
      hosts: { h1: 'changed' },
    });
    expect(readFileSync(join(out, 'h1.greeting'), 'utf8')).toBe('hello ops from h1\n');
    expect(existsSync(join(out, 'h2.greeting'))).toBe(false);
  });

  it('reports a host no play targets as skipped', async () => {
    const { ctx, statuses } = ctxOf();
    const result = await ansibleHandler.apply(
      ctx,
      stepOf({ playbook: 'playbooks/motd.yml', hosts: 'd1', tags: ['motd'], extra_vars: { motd_text: 'x' } }),
    );
    expect(result).toEqual({ changed: false, hosts: { d1: 'skipped' } });
    expect(statuses).toEqual([{ host: 'd1', status: 'skipped' }]);
  });

  it('fails the apply naming the host, the task and its message; the other host goes on', async () => {
    const { ctx, statuses } = ctxOf();
    await expect(
      ansibleHandler.apply(ctx, stepOf({ playbook: 'playbooks/fails.yml', hosts: 'web' })),
    ).rejects.toThrow(/^playbooks\/fails\.yml failed: h2 \(failed: h2 says no\): one or more hosts failed$/);
    expect(statuses).toContainEqual({ host: 'h2', status: 'failed', detail: 'Fail on h2: h2 says no' });
    expect(statuses).toContainEqual({ host: 'h1', status: 'skipped' });
  });

  it('shows where a check stopped in the plan, and fails a plan that never reached the hosts', async () => {
    const plan = await ansibleHandler.plan(
      ctxOf().ctx,
      stepOf({ playbook: 'playbooks/fails.yml', hosts: 'web' }),
    );
    expect(plan.map((c) => `${c.host} ${c.subject}`)).toEqual(['h2 check failed at Fail on h2: h2 says no']);
    await expect(
      ansibleHandler.plan(ctxOf().ctx, stepOf({ playbook: 'playbooks/broken.yml' })),
    ).rejects.toThrow(
      /^playbooks\/broken\.yml failed: no host failed: .*stderr: ERROR! couldn't resolve module\/action 'nosuchmodule_at_all'/,
    );
  });
});
