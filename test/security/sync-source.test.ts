// The sync step's source is hostile until checked: a path leaving the repository (`..`, absolute, a symlink
// out, at the source or anywhere below it) is refused with a clear message before any host is touched. The
// host is the runner itself (ansible_connection: local), so "nothing ran" is a directory that never appears.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, rmSync, symlinkSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SYNC_ROOT } from '../../src/core/sync-layout.ts';
import { Store } from '../../src/store/store.ts';
import { tempOpsRepo } from '../support/ops-repo.ts';

const SLIPWAY = resolve(import.meta.dirname, '../../bin/slipway');
const NAME = `sec-${process.pid}`;
const TARGET = join(SYNC_ROOT, NAME);
const repos: string[] = [];

afterAll(() => {
  rmSync(TARGET, { recursive: true, force: true });
  for (const r of repos) rmSync(r, { recursive: true, force: true });
});

/** An ops repo whose job syncs `source` to the runner itself; `prepare` lays symlinks before the commit. */
function opsRepo(source: string, prepare: (dir: string) => void = () => {}): string {
  const dir = tempOpsRepo({
    'slipway.yml': `environments: { dev: {} }\npeople: { alice: { os: [${userInfo().username}] } }\n`,
    'inventories/dev/hosts.yml': 'all:\n  hosts:\n    h1: { ansible_connection: local }\n',
    'pipelines/site.yml': [
      'name: site',
      'jobs:',
      '  ship:',
      '    environment: dev',
      '    approval: { approvers: [alice], allow_self_approval: true }',
      '    steps:',
      `      - sync: { source: ${JSON.stringify(source)}, to: ${NAME} }`,
      '',
    ].join('\n'),
    'site/index.html': '<h1>site</h1>\n',
  });
  repos.push(dir);
  prepare(dir);
  const git = ['-C', dir, '-c', 'user.name=C', '-c', 'user.email=c@x'];
  execFileSync('git', [...git, 'add', '-A']);
  execFileSync('git', [...git, 'commit', '-qm', 'links', '--allow-empty']);
  return dir;
}

function slipway(dir: string, ...args: string[]) {
  return spawnSync(SLIPWAY, ['-C', dir, ...args], { encoding: 'utf8', timeout: 120_000 });
}

describe('sync refuses a source outside the repository and runs nothing', () => {
  it.each([
    [
      '../outside',
      'invalid value "../outside"; must be a path inside the repository (relative, without "..")',
    ],
    ['/etc', 'invalid value "/etc"; must be a path inside the repository (relative, without "..")'],
    [
      'site/../../etc',
      'invalid value "site/../../etc"; must be a path inside the repository (relative, without "..")',
    ],
  ])('refuses %j at validation, with file:line:col', (source, message) => {
    const run = slipway(opsRepo(source), 'run', 'site', '--detach');
    expect(run.status, run.stderr).toBe(2);
    expect(run.stderr).toContain(`pipelines/site.yml:7:25: jobs.ship.steps.0.sync.source: ${message}`);
    expect(existsSync(TARGET)).toBe(false);
  });

  it('refuses a source that is a symlink out of the repository at validation', () => {
    const dir = opsRepo('public', (d) => symlinkSync('/etc', join(d, 'public')));
    const run = slipway(dir, 'run', 'site', '--detach');
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('"public" leads outside the repository (through a symlink)');
    expect(existsSync(TARGET)).toBe(false);
  });

  it('refuses a symlink out of the repository below the source before any host is asked anything', () => {
    const dir = opsRepo('site', (d) => symlinkSync('/etc/hostname', join(d, 'site/leak.txt')));
    const run = slipway(dir, 'run', 'site', '--detach');
    expect(run.status).toBe(1);
    const logs = slipway(dir, 'logs', '1');
    expect(logs.stdout + run.stderr).toContain(
      '"site/leak.txt" is a symlink leading outside the repository (to /etc/hostname); copy the file into the repository instead',
    );
    expect(existsSync(TARGET)).toBe(false);
  });

  it('ships the same repository once the link is gone, through its gate (the refusals were not a broken setup)', () => {
    const dir = opsRepo('site');
    const run = slipway(dir, 'run', 'site', '--detach');
    expect(run.status, run.stderr).toBe(3);
    const store = new Store(join(dir, '.slipway', 'state.db'));
    try {
      const [planned] = store.gates.latest(1, 'ship')!.plan;
      expect(planned!.changes.map((c) => [c.host, c.action, c.detail])).toEqual([
        ['h1', 'add', `+ index.html ${createHash('sha256').update('<h1>site</h1>\n').digest('hex')}`],
      ]);
    } finally {
      store.close();
    }
    expect(existsSync(TARGET)).toBe(false);
    const approved = slipway(dir, 'approve', '1');
    expect(approved.status, approved.stderr).toBe(0);
    expect(execFileSync('cat', [join(TARGET, 'current/files/index.html')], { encoding: 'utf8' })).toBe(
      '<h1>site</h1>\n',
    );
  });
});
