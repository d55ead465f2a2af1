import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigErrorList } from '../../src/config/errors.ts';
import { resolveInventorySync } from '../../src/config/inventory/resolve.ts';
import { decryptVault } from '../../src/config/inventory/vault.ts';
import { Store } from '../../src/store/store.ts';
import { tempOpsRepo } from '../support/ops-repo.ts';

const SLIPWAY = resolve(import.meta.dirname, '../../bin/slipway');
const VALUES = {
  api_key: 'host s3cret: on h1',
  db_password: 'sup3r s3cret! of all',
  labelled: 'labelled 1.2 value',
  h1_only: 'from host_vars ü',
};

let dir: string;
let pwFile: string;

/** `name: !vault |` lines for a value, encrypted by the real ansible-vault, indented for nesting. */
function encrypted(name: string, value: string, indent: string, vaultId?: string): string {
  const out = execFileSync(
    'ansible-vault',
    [
      'encrypt_string',
      ...(vaultId ? ['--vault-id', `${vaultId}@${pwFile}`] : ['--vault-password-file', pwFile]),
      value,
      '--name',
      name,
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
  );
  return out
    .trimEnd()
    .split('\n')
    .map((l) => indent + l)
    .join('\n');
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'slipway-vault-'));
  pwFile = join(dir, 'vault-pw');
  writeFileSync(pwFile, 'correct horse battery\n');
  const inv = join(dir, 'inv');
  mkdirSync(join(inv, 'group_vars'), { recursive: true });
  mkdirSync(join(inv, 'host_vars'), { recursive: true });
  writeFileSync(
    join(inv, 'hosts.yml'),
    [
      'all:',
      '  hosts:',
      '    h1:',
      '      ansible_host: 127.0.0.1',
      encrypted('api_key', VALUES.api_key, '      '),
      '    h2:',
      '      ansible_host: 127.0.0.2',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(inv, 'group_vars/all.yml'),
    `${encrypted('db_password', VALUES.db_password, '')}\n${encrypted('labelled', VALUES.labelled, '', 'prod')}\n`,
  );
  writeFileSync(join(inv, 'host_vars/h1.yml'), `${encrypted('h1_only', VALUES.h1_only, '')}\n`);
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What Ansible itself resolves for a host's variables, decrypted with the password file. */
function ansibleResolves(host: string, names: string[]): Record<string, string> {
  const expr = `{{ {${names.map((n) => `"${n}": ${n}`).join(', ')}} }}`;
  const out = execFileSync(
    'ansible',
    [
      host,
      '-i',
      join(dir, 'inv'),
      '--vault-password-file',
      pwFile,
      '-c',
      'local',
      '-m',
      'debug',
      '-a',
      `msg=${expr}`,
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, ANSIBLE_NOCOLOR: '1' } },
  );
  return JSON.parse(out.slice(out.indexOf('{'))).msg;
}

describe('Ansible Vault values in inventories and vars files', () => {
  it('decrypts to what Ansible resolves (1.1 and 1.2 with a label; host, group_vars and host_vars)', () => {
    const inv = resolveInventorySync(join(dir, 'inv'), 'dev', {
      displayRoot: dir,
      vaultPasswordFile: pwFile,
    });
    const h1 = inv.hosts.get('h1')!.vars;
    expect(ansibleResolves('h1', Object.keys(VALUES))).toEqual(VALUES);
    expect({
      api_key: h1.api_key,
      db_password: h1.db_password,
      labelled: h1.labelled,
      h1_only: h1.h1_only,
    }).toEqual(VALUES);
    expect(inv.hosts.get('h2')!.vars.db_password).toBe(VALUES.db_password);
    expect(inv.vaultValues!.sort()).toEqual(Object.values(VALUES).sort());
  });

  it('keeps the list document equal to ansible-inventory --list: still encrypted, never plaintext', () => {
    const inv = resolveInventorySync(join(dir, 'inv'), 'dev', {
      displayRoot: dir,
      vaultPasswordFile: pwFile,
    });
    const real = JSON.parse(
      execFileSync('ansible-inventory', ['-i', join(dir, 'inv'), '--list', '--vault-password-file', pwFile], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }),
    );
    expect(inv.ansibleList).toEqual(real);
    const text = JSON.stringify(inv.ansibleList);
    for (const v of Object.values(VALUES)) expect(text).not.toContain(v);
  });

  it('refuses a wrong password or a tampered value, naming the variable and never a value', () => {
    const wrong = join(dir, 'wrong-pw');
    writeFileSync(wrong, 'not the password\n');
    let error: unknown;
    try {
      resolveInventorySync(join(dir, 'inv'), 'dev', { displayRoot: dir, vaultPasswordFile: wrong });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigErrorList);
    const messages = (error as ConfigErrorList).errors.map((e) => e.message);
    expect(messages).toContain(
      'host h1: variable db_password: the vault password does not decrypt it (HMAC mismatch)',
    );
    const cipher = encrypted('x', 'tamper me', '')
      .split('\n')
      .slice(1)
      .map((l) => l.trim());
    const flipped = [
      cipher[0],
      `${cipher[1]!.slice(0, -1)}${cipher[1]!.endsWith('0') ? '1' : '0'}`,
      ...cipher.slice(2),
    ];
    expect(() => decryptVault(cipher.join('\n'), 'correct horse battery')).not.toThrow();
    expect(() => decryptVault(flipped.join('\n'), 'correct horse battery')).toThrow(/HMAC mismatch|not salt/);
  });

  it('masks decrypted values and the vault password in run logs', () => {
    const repo = tempOpsRepo({
      'slipway.yml': `environments: { dev: { inventory: inv } }\npeople: { alice: { os: [${userInfo().username}] } }\n`,
      'pipelines/app.yml': [
        'name: app',
        'jobs:',
        '  leak:',
        '    environment: dev',
        '    steps:',
        `      - run: { command: [sh, -c, 'echo "${VALUES.db_password}"; cat ${pwFile}'] }`,
        '',
      ].join('\n'),
    });
    try {
      execFileSync('cp', ['-r', join(dir, 'inv'), join(repo, 'inv')]);
      execFileSync('git', ['-C', repo, '-c', 'user.name=c', '-c', 'user.email=c@x', 'add', '-A']);
      execFileSync('git', ['-C', repo, '-c', 'user.name=c', '-c', 'user.email=c@x', 'commit', '-qm', 'inv']);
      const r = spawnSync(SLIPWAY, ['-C', repo, '--vault-password-file', pwFile, 'run', 'app'], {
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(r.stderr).toContain('run 1 succeeded');
      const store = new Store(join(repo, '.slipway', 'state.db'));
      const lines = store.events.after(1, 0, 1000, ['log']).map((e) => e.text);
      store.close();
      expect(lines).toEqual(['***', '***']);
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  });
});
