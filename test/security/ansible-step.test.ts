// The ansible step through the CLI (`slipway run`, the gate, `slipway approve`), on a host that is the runner
// itself (ansible_connection: local): a playbook of the repository sees none of the runner's secrets, and
// neither the plan at the gate nor the logs show a vault value or a no_log task's content.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/store.ts';
import { tempOpsRepo } from '../support/ops-repo.ts';

const SLIPWAY = resolve(import.meta.dirname, '../../bin/slipway');

/** What the runner process holds; a playbook must not read any of it. */
const HELD = {
  SLIPWAY_WEBHOOK_SECRET: 'whsec-ansible-1a2b3c4d5e',
  SLIPWAY_FORGE_TOKEN: 'forge-tok-ansible-9f8e7d',
  GITHUB_TOKEN: 'ghs_ansible0123456789abcdef',
};
const VAULT = { playbook: 'db-pa55-from-vault-file', inventory: 'api-k3y-from-inventory' };

let work: string;
let out: string;
let pwFile: string;

function vault(...args: string[]): string {
  return execFileSync('ansible-vault', [...args, '--vault-password-file', pwFile], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'slipway-ansible-sec-'));
  out = join(work, 'host-files');
  pwFile = join(work, 'vault-pw');
  mkdirSync(out);
  writeFileSync(pwFile, 'vault password of the test\n');
}, 60_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** An ops repo whose gated job runs playbooks/site.yml on a local host; the vault file encrypted for real. */
function opsRepo(): string {
  const encryptedVars = join(work, 'vault.yml');
  writeFileSync(encryptedVars, `vault_db_password: ${VAULT.playbook}\n`);
  vault('encrypt', encryptedVars);
  const inline = vault('encrypt_string', VAULT.inventory, '--name', 'inv_api_key');
  const local = 'ansible_connection: local, ansible_python_interpreter: /usr/bin/python3';
  const dir = tempOpsRepo({
    'slipway.yml': `environments: { dev: {} }\npeople: { alice: { os: [${userInfo().username}] } }\n`,
    'inventories/dev/hosts.yml': `all:\n  hosts:\n    h1: { ${local} }\n`,
    'inventories/dev/group_vars/all.yml': inline,
    'pipelines/site.yml': [
      'name: site',
      'jobs:',
      '  conf:',
      '    environment: dev',
      '    approval: { approvers: [alice], allow_self_approval: true }',
      '    steps:',
      '      - ansible: { playbook: playbooks/site.yml }',
      '',
    ].join('\n'),
    'playbooks/group_vars/all/vault.yml': readFileSync(encryptedVars, 'utf8'),
    'playbooks/app.conf.j2':
      'db={{ vault_db_password }}\napi={{ inv_api_key }}\nhook=[{{ lookup("env", "SLIPWAY_WEBHOOK_SECRET") }}{{ lookup("env", "GITHUB_TOKEN") }}]\n',
    'playbooks/site.yml': [
      '- hosts: all',
      '  gather_facts: false',
      '  tasks:',
      '    - name: Render the config',
      `      template: { src: app.conf.j2, dest: ${out}/app.conf }`,
      '    - name: Write the token',
      `      copy: { dest: ${out}/token, content: "token {{ vault_db_password }}" }`,
      '      no_log: true',
      '    - name: Say it',
      '      debug: { msg: "the password is {{ vault_db_password }}" }',
      '',
    ].join('\n'),
  });
  return dir;
}

function slipway(dir: string, ...args: string[]) {
  return spawnSync(SLIPWAY, ['-C', dir, ...args], {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, ...HELD, ANSIBLE_VAULT_PASSWORD_FILE: pwFile },
  });
}

describe('the ansible step keeps secrets out of plans, logs and playbooks', () => {
  it("shows no vault value or no_log content at the gate nor in the logs, and gives the playbook none of the runner's secrets", () => {
    const dir = opsRepo();
    const started = slipway(dir, 'run', 'site', '--detach');
    expect(started.status, started.stderr).toBe(3);

    const store = () => new Store(join(dir, '.slipway', 'state.db'));
    const gate = (() => {
      const s = store();
      try {
        return s.gates.latest(1, 'conf')!;
      } finally {
        s.close();
      }
    })();
    const [planned] = gate.plan;
    expect(planned!.changes.map((c) => [c.subject, c.detail])).toEqual([
      [`Render the config: ${out}/app.conf`, '@@ -0,0 +1,3 @@\n+db=***\n+api=***\n+hook=[]'],
      [`Write the token`, 'details hidden: the task sets no_log'],
    ]);

    const approved = slipway(dir, 'approve', '1');
    expect(approved.status, approved.stderr).toBe(0);
    // The playbook did decrypt and use the values; only what people see is masked.
    expect(readFileSync(join(out, 'app.conf'), 'utf8')).toBe(
      `db=${VAULT.playbook}\napi=${VAULT.inventory}\nhook=[]\n`,
    );
    const s = store();
    try {
      const events = s.events.after(1, 0, 100_000);
      const logs = events.filter((e) => e.kind === 'log').map((e) => e.text ?? '');
      expect(logs).toContain('ok: [h1] => {');
      expect(logs).toContain('    "msg": "the password is ***"');
      const everything =
        JSON.stringify(s.detail(1)) + JSON.stringify(events) + JSON.stringify(s.gates.latest(1, 'conf'));
      for (const secret of [...Object.values(VAULT), ...Object.values(HELD)])
        expect(everything + started.stderr + approved.stderr).not.toContain(secret);
    } finally {
      s.close();
    }
  });

  it('refuses a playbook outside the repository (a symlink out, a missing file) before anything runs', () => {
    const dir = opsRepo();
    rmSync(join(dir, 'playbooks/site.yml'));
    symlinkSync('/etc/hostname', join(dir, 'playbooks/site.yml'));
    execFileSync('git', ['-C', dir, '-c', 'user.name=C', '-c', 'user.email=c@x', 'commit', '-qam', 'link']);
    const escaped = slipway(dir, 'run', 'site', '--detach');
    expect(escaped.status).toBe(2);
    expect(escaped.stderr).toContain(
      'pipelines/site.yml:7:30: jobs.conf.steps.0.ansible.playbook: "playbooks/site.yml" leads outside the repository (through a symlink)',
    );
    execFileSync('git', [
      '-C',
      dir,
      '-c',
      'user.name=C',
      '-c',
      'user.email=c@x',
      'rm',
      '-q',
      'playbooks/site.yml',
    ]);
    execFileSync('git', ['-C', dir, '-c', 'user.name=C', '-c', 'user.email=c@x', 'commit', '-qm', 'gone']);
    const missing = slipway(dir, 'run', 'site', '--detach');
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('"playbooks/site.yml" does not exist in the repository');
    expect(slipway(dir, 'runs').stdout).not.toContain('site');
  });
});
