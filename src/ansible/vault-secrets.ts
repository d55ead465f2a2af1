// The plaintexts of the Ansible Vault data in a repository: a playbook renders them into files, so its
// --diff shows them; the plan and the logs mask them. Slipway decrypts them as Ansible does, with the same
// password file, only to know what to mask.
import { closeSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import { decryptVault, readVaultPassword, VaultDecrypter } from '../config/inventory/vault.ts';
import { parseYaml } from '../config/yaml-source.ts';

/** Folders no playbook reads vars from: Git's, packages, Slipway's own state. */
const SKIPPED = new Set(['.git', 'node_modules', '.slipway']);
/** Larger files are no vars files. */
const MAX_BYTES = 1 << 20;
/** Leaves of an encrypted vars file shorter than this are not masked (`true`, `80`): too common to hide. */
const MIN_LEAF = 4;
const HEADER = '$ANSIBLE_VAULT;';

function* filesUnder(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && !SKIPPED.has(entry.name)) yield* filesUnder(path);
    else if (entry.isFile() && statSync(path).size <= MAX_BYTES) yield path;
  }
}

function startsWithHeader(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(HEADER.length);
    return readSync(fd, head, 0, head.length, 0) === head.length && head.toString('latin1') === HEADER;
  } finally {
    closeSync(fd);
  }
}

function leaves(value: unknown): string[] {
  if (typeof value === 'string' || typeof value === 'number') {
    const text = String(value);
    return text.length >= MIN_LEAF ? [text] : [];
  }
  if (Array.isArray(value)) return value.flatMap(leaves);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(leaves);
  return [];
}

// A whole encrypted file: its YAML leaves when it is vars, else its text (masked line by line).
function encryptedFileValues(file: string, password: string): string[] {
  const plain = decryptVault(readFileSync(file, 'utf8'), password);
  const { source } = parseYaml(plain, file, 'ansible');
  const values = source?.value !== null && typeof source?.value === 'object' ? leaves(source.value) : [];
  return values.length > 0 ? values : [plain];
}

// `!vault` values inside a plain YAML file.
function inlineValues(file: string, root: string, decrypter: VaultDecrypter): void {
  const text = readFileSync(file, 'utf8');
  if (!text.includes('!vault')) return;
  const { source } = parseYaml(text, relative(root, file), 'ansible');
  if (source) decrypter.decryptVars(source.value);
}

/**
 * Every plaintext of the vault data under `root` (files encrypted whole, `!vault` values in YAML files) that
 * the password file opens. Without a password file there is none: ansible-playbook could not decrypt either.
 * What the password does not open (another vault id) is skipped; Ansible fails on it with its own message.
 */
export function vaultSecretsUnder(root: string, passwordFile: string | undefined): string[] {
  if (!passwordFile) return [];
  const password = readVaultPassword(passwordFile);
  const decrypter = new VaultDecrypter(passwordFile);
  const values: string[] = [];
  for (const file of filesUnder(root)) {
    try {
      if (startsWithHeader(file)) values.push(...encryptedFileValues(file, password));
      else if (['.yml', '.yaml'].includes(extname(file))) inlineValues(file, root, decrypter);
    } catch {
      // Not ours to judge: a file this password does not open is Ansible's to report.
    }
  }
  return [...values, ...decrypter.values()];
}
