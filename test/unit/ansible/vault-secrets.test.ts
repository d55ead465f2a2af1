import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vaultSecretsUnder } from '../../../src/ansible/vault-secrets.ts';

// Vault data made by the real ansible-vault: a vars file encrypted whole, a `!vault` value inside a plain
// vars file, one encrypted with another password, and a file encrypted whole that is no YAML mapping.
describe('vaultSecretsUnder', () => {
  let root: string;
  let password: string;
  const vault = (...args: string[]) =>
    execFileSync('ansible-vault', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'slipway-vault-secrets-'));
    password = join(root, '.vault-pw');
    writeFileSync(password, 'correct horse\n');
    writeFileSync(join(root, 'other-pw'), 'another one\n');
    mkdirSync(join(root, 'playbooks/group_vars/all'), { recursive: true });
    mkdirSync(join(root, 'roles/db/vars'), { recursive: true });
    mkdirSync(join(root, '.git'));

    const whole = join(root, 'playbooks/group_vars/all/vault.yml');
    writeFileSync(
      whole,
      'vault_db_password: "db pa55word"\nvault_port: 5432\nvault_on: true\nlist: [tok3n-a]\n',
    );
    vault('encrypt', '--vault-password-file', password, whole);
    const inline = vault('encrypt_string', '--vault-password-file', password, 'api k3y', '--name', 'api_key');
    writeFileSync(join(root, 'roles/db/vars/main.yml'), `db_user: app\n${inline}`);
    const foreign = vault('encrypt_string', '--vault-password-file', join(root, 'other-pw'), 'not ours');
    writeFileSync(join(root, 'roles/db/vars/foreign.yml'), `x: ${foreign}`);
    const cert = join(root, 'playbooks/tls.key');
    writeFileSync(cert, '-----BEGIN KEY-----\nabc123secret\n');
    vault('encrypt', '--vault-password-file', password, cert);
    // Git's own objects are never read.
    const inGit = join(root, '.git/vault.yml');
    writeFileSync(inGit, 'git_secret: skipped value\n');
    vault('encrypt', '--vault-password-file', password, inGit);
  }, 60_000);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('decrypts what the password opens: leaves of encrypted vars, !vault values, other encrypted files', () => {
    const values = vaultSecretsUnder(root, password);
    expect(values.sort()).toEqual(
      ['-----BEGIN KEY-----\nabc123secret\n', '5432', 'api k3y', 'db pa55word', 'tok3n-a'].sort(),
    );
  });

  it('finds nothing without a password file (ansible-playbook could not decrypt either)', () => {
    expect(vaultSecretsUnder(root, undefined)).toEqual([]);
  });
});
