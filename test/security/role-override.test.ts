// An ops repository's roles/ssh_keys, roles/caddy or roles/docker_host replaces Slipway's own role. A
// committed symlink leading out of the repository would run tasks no approved commit holds: refused
// before anything runs.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/cli/exit-codes.ts';
import { tempOpsRepo } from '../support/ops-repo.ts';
import { slipwayIn } from '../support/slipway-cli.ts';

const LOCAL = 'ansible_connection: local, ansible_python_interpreter: /usr/bin/python3';

describe.each([
  { role: 'ssh_keys', step: 'ssh-keys' },
  { role: 'docker_host', step: 'docker-host' },
])('a roles/$role symlink out of the repository', ({ role, step }) => {
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
      'pipelines/infra.yml': `name: infra\njobs:\n  keys:\n    environment: dev\n    steps:\n      - ${step}: { hosts: all }\n`,
    });
    mkdirSync(join(repo, 'roles'));
    symlinkSync(outside, join(repo, 'roles', role));
    const git = ['-C', repo, '-c', 'user.name=C', '-c', 'user.email=c@example.com'];
    execFileSync('git', [...git, 'add', '-A']);
    execFileSync('git', [...git, 'commit', '-qm', 'role']);
  });
  afterAll(() => {
    rmSync(work, { recursive: true, force: true });
    rmSync(repo, { recursive: true, force: true });
  });

  it(`fails validate at roles/${role}`, () => {
    const r = slipwayIn(repo, 'validate');
    expect(r.status).toBe(ExitCode.InvalidConfig);
    expect(r.stderr).toContain(
      `roles/${role}:1:1: expected a role directory in the repository, got a symlink leading outside the repository`,
    );
  });

  it('is refused by plan before the role runs, even in check mode', () => {
    const r = slipwayIn(repo, 'plan', 'infra');
    expect(r.status).toBe(ExitCode.InvalidConfig);
    expect(r.stderr).toContain(`roles/${role}`);
    expect(existsSync(marker())).toBe(false);
  });
});
