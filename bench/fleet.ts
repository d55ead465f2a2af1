/**
 * Fleet bench on thin sandbox hosts (sshd only, `upThin`; instance "fleet", hosts f1..fN in env "fleet"):
 * for N in --sizes (default 50 and 200), an infra pipeline of one job, `ssh-keys` (authorized_keys of
 * three users) then an `ansible` step copying one file, through the CLI on a temp ops repo:
 *   `slipway plan` and `slipway run` on fresh hosts (keys and file), then again after a file-only change.
 * Baseline, in the same invocation on fresh hosts again: plain ansible-playbook (--forks 50, default
 * config) doing the same work: roles/ssh_keys with the same accounts, then the same copy, as
 * `--check --diff` (beside plan) and as a run (beside run). Each command runs in a cgroup of its own:
 * wall time, CPU-seconds and the peak summed RSS of the controller's processes (ssh clients included).
 * Targets: the largest size <= (largest / smallest) x the smallest size's time (200 vs 50: <= 4x), and
 * Slipway >= 3x faster than the baseline at the largest size (ratio <= 0.33).
 * Run as root: node bench/fleet.ts [--sizes 50,200] [--parallel 50] [--json]; removes "fleet" at the end.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SHIPPED_ROLES } from '../src/ansible/roles.ts';
import { execInHost } from '../src/sandbox/host-control.ts';
import { down, upThin } from '../src/sandbox/sandbox.ts';
import { tempOpsRepo } from '../test/support/ops-repo.ts';
import { REPO_ROOT } from '../test/support/sandbox.ts';
import { numberArg } from './lib/number-arg.ts';
import { type BenchRow, emitRows } from './lib/rows.ts';
import { writeSshKeysVars } from './lib/ssh-keys-vars.ts';
import { runMeasured, succeeded, type TreeUsage } from './lib/tree-usage.ts';

const sizesAt = process.argv.indexOf('--sizes');
const SIZES = (sizesAt > 0 ? process.argv[sizesAt + 1]! : '50,200').split(',').map(Number);
const FORKS = 50;
const PARALLEL = numberArg('--parallel', FORKS);
const target = { repoRoot: REPO_ROOT, name: 'fleet' };
const FILE = '/etc/fleet-motd';
const log = (line: string) => process.stderr.write(`${line}\n`);

/** The ops repo: one environment, three users' keys, the pipeline, the file playbook and the baseline playbook. */
function opsRepo(runnerKey: string): string {
  const key = (comment: string) => {
    const dir = execFileSync('mktemp', ['-d']).toString().trim();
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', join(dir, 'k')]);
    const pub = readFileSync(join(dir, 'k.pub'), 'utf8');
    rmSync(dir, { recursive: true, force: true });
    return pub;
  };
  return tempOpsRepo({
    'slipway.yml': 'environments: { fleet: {} }\n',
    'infra/access.yml': [
      'users:',
      '  root: { keys: [runner] }',
      '  deploy: { keys: [ops1, ops2] }',
      '  alice: { keys: [alice] }',
      '',
    ].join('\n'),
    'infra/ssh-keys/runner.pub': runnerKey,
    'infra/ssh-keys/ops1.pub': key('ops1@fleet.test'),
    'infra/ssh-keys/ops2.pub': key('ops2@fleet.test'),
    'infra/ssh-keys/alice.pub': key('alice@fleet.test'),
    'pipelines/fleet.yml': [
      'name: fleet',
      'jobs:',
      '  fleet:',
      '    environment: fleet',
      '    steps:',
      '      - ssh-keys: { hosts: all }',
      '      - ansible: { playbook: playbooks/motd.yml, hosts: all }',
      '',
    ].join('\n'),
    'playbooks/motd.yml': [
      '- hosts: all',
      '  gather_facts: false',
      '  tasks:',
      '    - name: Write the motd',
      `      ansible.builtin.copy: { src: motd.txt, dest: ${FILE}, mode: "0644" }`,
      '',
    ].join('\n'),
    'playbooks/motd.txt': 'fleet v1\n',
    // The baseline: the same role with the same accounts (extra vars), then the same playbook.
    'playbooks/baseline.yml': [
      '- hosts: all',
      '  gather_facts: false',
      '  roles:',
      '    - role: ssh_keys',
      '      vars: { ssh_keys_users: "{{ ssh_keys_by_host[inventory_hostname] }}", ssh_keys_keep: [root] }',
      '- import_playbook: motd.yml',
      '',
    ].join('\n'),
  });
}

/** Commits a new version of the file (the file-only change) and, when given, the runner's key of new hosts. */
function commitChange(repo: string, version: number, runnerKey?: string): void {
  writeFileSync(join(repo, 'playbooks/motd.txt'), `fleet v${version}\n`);
  if (runnerKey) writeFileSync(join(repo, 'infra/ssh-keys/runner.pub'), runnerKey);
  execFileSync(
    'git',
    ['-c', 'user.name=Carol', '-c', 'user.email=carol@example.com', 'commit', '-qam', `v${version}`],
    {
      cwd: repo,
    },
  );
}

/** Fresh thin hosts f1..fN; returns the inventories root and how long `upThin` took. */
async function freshFleet(n: number): Promise<{ inventoriesRoot: string; upMs: number; sshKey: string }> {
  await down(target);
  const r = await upThin({ ...target, hosts: Array.from({ length: n }, (_, i) => `fleet:f${i + 1}`) });
  log(`  thin up, ${n} hosts: ${(r.timings['total']! / 1000).toFixed(1)} s`);
  return { inventoriesRoot: r.info.inventoriesRoot, upMs: r.timings['total']!, sshKey: r.info.sshKey };
}

async function expectFile(n: number, version: number): Promise<void> {
  const got = await execInHost(target, `f${n}`, ['cat', FILE]);
  if (got !== `fleet v${version}`)
    throw new Error(`f${n}: ${FILE} is "${got}", expected "fleet v${version}"`);
}

type Phase = 'keys + file' | 'file only';
interface SizeResult {
  upMs: number;
  slipway: Map<string, TreeUsage>;
  ansible: Map<string, TreeUsage>;
}

async function benchSize(n: number): Promise<SizeResult> {
  log(`${n} hosts`);
  const slipway = new Map<string, TreeUsage>();
  const ansible = new Map<string, TreeUsage>();
  let fleet = await freshFleet(n);
  const upMs = fleet.upMs;
  const repo = opsRepo(readFileSync(`${fleet.sshKey}.pub`, 'utf8'));
  const state = join(await mkdtemp(join(tmpdir(), 'slipway-fleet-')), 'state.db');
  const cli = (...args: string[]) =>
    runMeasured(
      [join(REPO_ROOT, 'bin/slipway'), '-C', repo, '--inventories', fleet.inventoriesRoot, ...args],
      {
        env: { ...process.env, SLIPWAY_STATE: state, SLIPWAY_PARALLEL: String(PARALLEL) },
      },
    );
  try {
    for (const [phase, version] of [
      ['keys + file', 1],
      ['file only', 2],
    ] as Array<[Phase, number]>) {
      if (version > 1) commitChange(repo, version);
      slipway.set(`plan, ${phase}`, succeeded(`slipway plan, ${phase}`, await cli('plan', 'fleet')));
      slipway.set(`run, ${phase}`, succeeded(`slipway run, ${phase}`, await cli('run', 'fleet')));
      await expectFile(n, version);
    }
    // The baseline starts from the same fresh hosts and the file's first version.
    // Fresh hosts have a fresh instance key: root's listed key is that one, as it was for Slipway.
    fleet = await freshFleet(n);
    commitChange(repo, 1, readFileSync(`${fleet.sshKey}.pub`, 'utf8'));
    const vars = `${repo}-vars.json`;
    await writeSshKeysVars(repo, fleet.inventoriesRoot, ['fleet'], vars);
    const playbook = (...extra: string[]) =>
      runMeasured(
        [
          'ansible-playbook',
          '-i',
          join(fleet.inventoriesRoot, 'fleet'),
          '--forks',
          String(FORKS),
          '-e',
          `@${vars}`,
          ...extra,
          'playbooks/baseline.yml',
        ],
        { cwd: repo, env: { ...process.env, ANSIBLE_ROLES_PATH: SHIPPED_ROLES } },
      );
    for (const [phase, version] of [
      ['keys + file', 1],
      ['file only', 2],
    ] as Array<[Phase, number]>) {
      if (version > 1) commitChange(repo, version);
      ansible.set(
        `plan, ${phase}`,
        succeeded(`ansible --check --diff, ${phase}`, await playbook('--check', '--diff')),
      );
      ansible.set(`run, ${phase}`, succeeded(`ansible run, ${phase}`, await playbook()));
      await expectFile(n, version);
    }
  } finally {
    rmSync(repo, { recursive: true, force: true });
    rmSync(`${repo}-vars.json`, { force: true });
    rmSync(join(state, '..'), { recursive: true, force: true });
  }
  return { upMs, slipway, ansible };
}

function rowsOf(results: Map<number, SizeResult>): BenchRow[] {
  const rows: BenchRow[] = [];
  const bench = 'fleet';
  const sizes = [...results.keys()];
  const [small, large] = [Math.min(...sizes), Math.max(...sizes)];
  for (const [n, r] of results) {
    rows.push({ bench, case: `thin sandbox up, ${n} hosts`, value: r.upMs, unit: 'ms' });
    for (const [what, s] of r.slipway) {
      const a = r.ansible.get(what)!;
      const ratio = s.ms / a.ms;
      rows.push({
        bench,
        case: `${n} hosts: slipway ${what} vs ansible-playbook forks=${FORKS}`,
        value: s.ms,
        unit: 'ms',
        baseline: a.ms,
        ratio,
        ...(n === large ? { target: '<= 0.33', ok: ratio <= 1 / 3 } : {}),
      });
    }
    for (const what of ['run, keys + file', 'run, file only']) {
      const [s, a] = [r.slipway.get(what)!, r.ansible.get(what)!];
      rows.push({
        bench,
        case: `${n} hosts: controller peak RSS, slipway ${what} (baseline: ansible-playbook)`,
        value: s.peakRssMiB,
        unit: 'MiB',
        baseline: a.peakRssMiB,
        ratio: s.peakRssMiB / a.peakRssMiB,
      });
      rows.push({
        bench,
        case: `${n} hosts: controller CPU, slipway ${what} (baseline: ansible-playbook)`,
        value: s.cpuS,
        unit: 'CPU-s',
        baseline: a.cpuS,
        ratio: s.cpuS / a.cpuS,
      });
    }
  }
  if (small !== large) {
    const limit = large / small;
    for (const what of results.get(large)!.slipway.keys()) {
      const [s, l] = [results.get(small)!.slipway.get(what)!, results.get(large)!.slipway.get(what)!];
      const ratio = l.ms / s.ms;
      rows.push({
        bench,
        case: `slipway ${what}: ${large} hosts vs ${small}`,
        value: l.ms,
        unit: 'ms',
        baseline: s.ms,
        ratio,
        target: `<= ${limit.toFixed(2)}`,
        ok: ratio <= limit,
      });
    }
  }
  return rows;
}

const results = new Map<number, SizeResult>();
try {
  for (const n of SIZES) results.set(n, await benchSize(n));
} finally {
  await down(target);
  // The sizes measured so far are printed even when a later one failed.
  if (results.size > 0)
    emitRows(
      `fleet bench: thin hosts, slipway --parallel ${PARALLEL} vs ansible-playbook --forks ${FORKS}, ${new Date().toISOString()}`,
      rowsOf(results),
    );
}
