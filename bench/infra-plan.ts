/**
 * Infra plan bench on the demo sandbox (dev1, prod1, prod2: `slipway sandbox up`, reused when up):
 * `slipway plan pipelines/infra.yml` (ssh-keys, docker-host and caddy, dev and prod) against the baseline
 * of plain `ansible-playbook --check --diff` of the same roles (roles/ssh_keys with the same accounts,
 * roles/docker_host, roles/caddy) on the same hosts, forks 8, default config. Target: the plan <= 5 s.
 * Each command runs in a cgroup of its own (wall time, CPU-seconds, peak RSS of its processes).
 * Run as root: node bench/infra-plan.ts [--reps N] [--json].
 */
import { rmSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SHIPPED_ROLES } from '../src/ansible/roles.ts';
import { REPO_ROOT, useSandbox } from '../test/support/sandbox.ts';
import { numberArg } from './lib/number-arg.ts';
import { type BenchRow, emitRows } from './lib/rows.ts';
import { writeSshKeysVars } from './lib/ssh-keys-vars.ts';
import { median } from './lib/timing.ts';
import { runMeasured, succeeded, type TreeUsage } from './lib/tree-usage.ts';

const REPS = numberArg('--reps', 3);
const ENVS = ['dev', 'prod'];

const sb = await useSandbox({ name: 'demo', hosts: ['dev1', 'prod1', 'prod2'] });
const dir = await mkdtemp(join(tmpdir(), 'slipway-infra-plan-'));
try {
  const vars = join(dir, 'vars.json');
  await writeSshKeysVars(REPO_ROOT, sb.inventoriesRoot, ENVS, vars);
  const playbook = join(dir, 'baseline.yml');
  writeFileSync(
    playbook,
    [
      '- hosts: all',
      '  gather_facts: false',
      '  roles:',
      '    - role: ssh_keys',
      '      vars: { ssh_keys_users: "{{ ssh_keys_by_host[inventory_hostname] }}", ssh_keys_keep: [root] }',
      '    - role: docker_host',
      '    - role: caddy',
      '',
    ].join('\n'),
  );
  const slipway: TreeUsage[] = [];
  const ansible: TreeUsage[] = [];
  for (let rep = 0; rep < REPS; rep++) {
    const plan = await runMeasured(
      [join(REPO_ROOT, 'bin/slipway'), '--inventories', sb.inventoriesRoot, 'plan', 'pipelines/infra.yml'],
      { cwd: REPO_ROOT, env: { ...process.env, SLIPWAY_STATE: join(dir, 'state.db') } },
    );
    slipway.push(succeeded('slipway plan pipelines/infra.yml', plan));
    const check = await runMeasured(
      [
        'ansible-playbook',
        ...ENVS.flatMap((e) => ['-i', join(sb.inventoriesRoot, e)]),
        '--forks',
        '8',
        '-e',
        `@${vars}`,
        '--check',
        '--diff',
        playbook,
      ],
      { cwd: REPO_ROOT, env: { ...process.env, ANSIBLE_ROLES_PATH: SHIPPED_ROLES } },
    );
    ansible.push(succeeded('ansible-playbook --check --diff', check));
  }
  const ms = (xs: TreeUsage[]) => median(xs.map((x) => x.ms));
  const [s, a] = [ms(slipway), ms(ansible)];
  const rows: BenchRow[] = [
    {
      bench: 'infra-plan',
      case: 'slipway plan pipelines/infra.yml, 3 demo hosts (baseline: ansible-playbook --check --diff)',
      value: s,
      unit: 'ms',
      baseline: a,
      ratio: s / a,
      target: '<= 5000 ms',
      ok: s <= 5000,
    },
    {
      bench: 'infra-plan',
      case: 'controller CPU of the plan (baseline: ansible-playbook --check --diff)',
      value: median(slipway.map((x) => x.cpuS)),
      unit: 'CPU-s',
      baseline: median(ansible.map((x) => x.cpuS)),
      ratio: median(slipway.map((x) => x.cpuS)) / median(ansible.map((x) => x.cpuS)),
    },
  ];
  emitRows(`infra plan bench, ${REPS} reps, ${new Date().toISOString()}`, rows);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
