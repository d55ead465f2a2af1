// An ops repository's roles/ssh_keys or roles/caddy replaces Slipway's own role. A committed symlink
// leading out of the repository would run tasks no approved commit holds: refused before anything runs.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/cli/exit-codes.ts';
import { tempOpsRepo } from '../support/ops-repo.ts';
import { slipwayIn } from '../support/slipway-cli.ts';

const LOCAL = 'ansible_connection: local, ansible_python_interpreter: /usr/bin/python3';

let work: string;
let repo: string;
const marker = () => join(work, 'ran');

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'slipway-role-escape-'));
  const outside = join(work, 'outside-role');
  mkdirSync(join(outside, 'tasks'), { recursive: true });
  writeFileSync(
    join(outside, 'tasks', 'main.yml'),
    `- name: Run, in check mode too\n  check_mode: false\n  copy: { dest: "${marker()}", content: "ran\\n" }\n`,
  );
  repo = tempOpsRepo({
    'slipway.yml': 'environments: { dev: {} }\n',
    'inventories/dev/hosts.yml': `all:\n  hosts:\n    h1: { ${LOCAL} }\n`,
    'infra/access.yml': 'users: {}\n',
    'pipelines/infra.yml':
      'name: infra\njobs:\n  keys:\n    environment: dev\n    steps:\n      - ssh-keys: { hosts: all }\n',
  });
  mkdirSync(join(repo, 'roles'));
  symlinkSync(outside, join(repo, 'roles', 'ssh_keys'));
  execFileSync('git', ['-C', repo, '-c', 'user.name=C', '-c', 'user.email=c@example.com', 'add', '-A']);
  execFileSync('git', [
    '-C',
    repo,
    '-c',
    'user.name=C',
    '-c',
    'user.email=c@example.com',
    'commit',
    '-qm',
    'role',
  ]);
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(repo, { recursive: true, force: true });
});

describe('a roles/ssh_keys symlink out of the repository', () => {
  it('fails validate at roles/ssh_keys', () => {
    const r = slipwayIn(repo, 'validate');
    expect(r.status).toBe(ExitCode.InvalidConfig);
    expect(r.stderr).toContain(
      'roles/ssh_keys:1:1: expected a role directory in the repository, got a symlink leading outside the repository',
    );
  });

  it('is refused by plan before the role runs, even in check mode', () => {
    const r = slipwayIn(repo, 'plan', 'infra');
    expect(r.status).toBe(ExitCode.InvalidConfig);
    expect(r.stderr).toContain('roles/ssh_keys');
    expect(existsSync(marker())).toBe(false);
  });
});
