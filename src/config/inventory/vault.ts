// Ansible Vault values (`!vault |` with `$ANSIBLE_VAULT;1.1;AES256` or `1.2;AES256;label`), decrypted
// as Ansible's VaultAES256 does: PBKDF2-SHA256 (10000 rounds) gives the AES key, the HMAC key and the
// CTR counter; HMAC-SHA256 over the ciphertext is checked before AES-256-CTR decrypts it.
import { createDecipheriv, createHmac, pbkdf2Sync, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** A `!vault` value as read from YAML: still encrypted. */
export class VaultText {
  readonly ciphertext: string;
  constructor(ciphertext: string) {
    this.ciphertext = ciphertext;
  }
  /** As `ansible-inventory --list` prints an encrypted value: never the plaintext. */
  toJSON(): { __ansible_vault: string } {
    return { __ansible_vault: this.ciphertext };
  }
}

/** The `!vault` tag for the `yaml` package's `customTags`. */
export const vaultTag = {
  tag: '!vault',
  identify: (v: unknown) => v instanceof VaultText,
  resolve: (text: string) => new VaultText(text),
};

const HEADER = /^\$ANSIBLE_VAULT;(1\.1|1\.2);AES256(;[^\n]*)?$/;

/** Decrypts one vault text with the password; throws saying what is wrong (never the plaintext). */
export function decryptVault(text: string, password: string): string {
  const lines = text.trim().split(/\r?\n/);
  if (!HEADER.test(lines[0]!.trim()))
    throw new Error(
      `expected a $ANSIBLE_VAULT;1.1;AES256 or 1.2;AES256;label header, got ${JSON.stringify(lines[0]!.slice(0, 40))}`,
    );
  const body = Buffer.from(lines.slice(1).join('').trim(), 'hex').toString('latin1').split('\n');
  if (body.length !== 3) throw new Error('the vault body is not salt, HMAC and ciphertext');
  const [salt, hmac, ciphertext] = body.map((h) => Buffer.from(h, 'hex')) as [Buffer, Buffer, Buffer];
  const derived = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, 10_000, 80, 'sha256');
  const expected = createHmac('sha256', derived.subarray(32, 64)).update(ciphertext).digest();
  if (hmac.length !== expected.length || !timingSafeEqual(hmac, expected))
    throw new Error('the vault password does not decrypt it (HMAC mismatch)');
  const decipher = createDecipheriv('aes-256-ctr', derived.subarray(0, 32), derived.subarray(64, 80));
  const padded = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  const pad = padded.at(-1) ?? 0;
  if (pad < 1 || pad > 16) throw new Error('the decrypted value has invalid padding');
  return padded.subarray(0, padded.length - pad).toString('utf8');
}

/** Reads a vault password file as Ansible does (its first line, surrounding whitespace removed). */
export function readVaultPassword(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read the vault password file ${file}: ${(err as NodeJS.ErrnoException).code}`);
  }
  return text.split(/\r?\n/)[0]!.trim();
}

/** Decrypts the `!vault` values of a set of variables (nested ones too), memoizing each ciphertext. */
export class VaultDecrypter {
  readonly #passwordFile: string | undefined;
  #password: string | undefined;
  readonly #plain = new Map<string, string>();

  constructor(passwordFile: string | undefined) {
    this.#passwordFile = passwordFile;
  }

  /** Every plaintext decrypted so far: secrets, for the masker. */
  values(): string[] {
    return [...this.#plain.values()];
  }

  /** `vars` with each VaultText replaced by its plaintext; throws naming the variable on failure. */
  decryptVars<T>(v: T, path = ''): T {
    if (v instanceof VaultText) return this.#decrypt(v, path) as T;
    if (Array.isArray(v)) return v.map((x, i) => this.decryptVars(x, `${path}[${i}]`)) as T;
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = this.decryptVars(x, path ? `${path}.${k}` : k);
      return out as T;
    }
    return v;
  }

  #decrypt(v: VaultText, path: string): string {
    const known = this.#plain.get(v.ciphertext);
    if (known !== undefined) return known;
    if (!this.#passwordFile)
      throw new Error(
        `variable ${path} is encrypted with Ansible Vault: pass --vault-password-file FILE or set ANSIBLE_VAULT_PASSWORD_FILE`,
      );
    this.#password ??= readVaultPassword(this.#passwordFile);
    let plain: string;
    try {
      plain = decryptVault(v.ciphertext, this.#password);
    } catch (err) {
      throw new Error(`variable ${path}: ${(err as Error).message}`);
    }
    this.#plain.set(v.ciphertext, plain);
    return plain;
  }
}
