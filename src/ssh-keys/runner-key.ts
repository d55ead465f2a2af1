import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { parsePublicKey } from '../config/ssh-public-key.ts';
import type { InventoryHost, PublicKey } from '../config/types.ts';
import { sshTargetOf } from '../remote/from-inventory.ts';
import type { RunnerLogin } from './guard.ts';

// The identities ssh tries when no IdentityFile is set, in its order.
const DEFAULT_IDENTITIES = ['id_rsa', 'id_ecdsa', 'id_ecdsa_sk', 'id_ed25519', 'id_ed25519_sk'];

/** Public key of a private key file: the `.pub` beside it, else derived with `ssh-keygen -y`. */
export async function publicKeyOf(privateKeyFile: string): Promise<PublicKey> {
  const pub = `${privateKeyFile}.pub`;
  let line: string;
  if (existsSync(pub)) line = (await readFile(pub, 'utf8')).trim();
  else if (!existsSync(privateKeyFile)) {
    throw new Error(
      `the private key ${privateKeyFile} does not exist (nor ${pub}): fix the inventory's path`,
    );
  } else {
    const r = await execa('ssh-keygen', ['-y', '-f', privateKeyFile], { reject: false, stdin: 'ignore' });
    if (r.exitCode !== 0)
      throw new Error(`cannot read the public key of ${privateKeyFile}: ${r.stderr.trim() || r.exitCode}`);
    line = r.stdout.trim();
  }
  const { key, problem } = parsePublicKey('slipway-runner', line);
  if (!key) throw new Error(`${pub}: ${problem?.[0] ?? 'not a public key'}`);
  return key;
}

/** The private key files ssh offers for a host: its inventory key, else ssh's defaults that exist. */
function identityFiles(host: InventoryHost, root: string): string[] {
  const file = sshTargetOf(host, root).identityFile;
  if (file) return [file];
  return DEFAULT_IDENTITIES.map((n) => join(homedir(), '.ssh', n)).filter((f) => existsSync(f));
}

/** The user and key Slipway logs in to `host` with, plus the rotation target from `slipway_next_private_key_file`. */
export async function runnerLoginOf(host: InventoryHost, root: string): Promise<RunnerLogin> {
  const target = sshTargetOf(host, root);
  const files = identityFiles(host, root);
  if (files.length !== 1) {
    throw new Error(
      `${host.name}: set ansible_ssh_private_key_file: the lock-out guard must know the one key Slipway logs in with` +
        (files.length ? ` (found ${files.length} default keys)` : ''),
    );
  }
  const runner: RunnerLogin = { user: target.user ?? userInfo().username, key: await publicKeyOf(files[0]!) };
  const nextFile = nextKeyFileOf(host, root);
  if (nextFile) runner.next = await publicKeyOf(nextFile);
  return runner;
}

/** The private key file of the rotation target (resolved like ansible_ssh_private_key_file). */
export function nextKeyFileOf(host: InventoryHost, root: string): string | undefined {
  const next = host.vars['slipway_next_private_key_file'];
  if (next === undefined) return undefined;
  return sshTargetOf({ ...host, vars: { ...host.vars, ansible_ssh_private_key_file: next } }, root)
    .identityFile;
}
