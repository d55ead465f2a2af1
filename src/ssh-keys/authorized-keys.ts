import { fingerprint, PUBLIC_KEY_TYPES } from '../config/ssh-public-key.ts';

/** One key line of an authorized_keys file, as sshd reads it. */
export interface AuthorizedKey {
  type: string;
  base64: string;
  comment: string;
  /** `SHA256:...`, as `ssh-keygen -lf` prints it. */
  fingerprint: string;
}

const TYPES: readonly string[] = PUBLIC_KEY_TYPES;

/**
 * The keys of an authorized_keys text: blank and comment lines skipped, options before the key
 * type (`from="..." ssh-ed25519 AAAA... c`) allowed, lines that hold no key ignored as sshd does.
 */
export function parseAuthorizedKeys(text: string): AuthorizedKey[] {
  const out: AuthorizedKey[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    // Options may hold quoted spaces; the key type is the first field that names one.
    const at = fields.findIndex((f, i) => TYPES.includes(f) && i + 1 < fields.length);
    if (at < 0) continue;
    const base64 = fields[at + 1]!;
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) continue;
    out.push({
      type: fields[at]!,
      base64,
      comment: fields.slice(at + 2).join(' '),
      fingerprint: fingerprint(Buffer.from(base64, 'base64')),
    });
  }
  return out;
}

/** `comment (SHA256:...)`, or the type when a key has no comment: how plans and logs name a key. */
export function keyLabel(key: Pick<AuthorizedKey, 'type' | 'comment' | 'fingerprint'>): string {
  return `${key.comment || key.type} (${key.fingerprint})`;
}

/** Keys of `after` not in `before`, and keys of `before` not in `after`, compared by key data. */
export function keyDelta(
  before: readonly AuthorizedKey[],
  after: readonly AuthorizedKey[],
): { added: AuthorizedKey[]; removed: AuthorizedKey[] } {
  const has = (list: readonly AuthorizedKey[], k: AuthorizedKey) => list.some((x) => x.base64 === k.base64);
  const uniq = (list: AuthorizedKey[]) =>
    list.filter((k, i) => list.findIndex((x) => x.base64 === k.base64) === i);
  return {
    added: uniq(after.filter((k) => !has(before, k))),
    removed: uniq(before.filter((k) => !has(after, k))),
  };
}
