import { createHash } from 'node:crypto';
import type { PublicKey } from './types.ts';

/** Key types OpenSSH accepts in authorized_keys, as the first field of a `.pub` line. */
export const PUBLIC_KEY_TYPES = [
  'ssh-ed25519',
  'ssh-rsa',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'sk-ssh-ed25519@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
] as const;

/** True when the text holds private key material (PEM/OpenSSH/PuTTY), whatever the file is called. */
export function looksLikePrivateKey(text: string): boolean {
  return /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(text) || /^PuTTY-User-Key-File-/m.test(text);
}

/** `SHA256:...` of a key blob, as `ssh-keygen -lf` prints it. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** Parses one public key line; returns the key or why it is not one (never echoing key material). */
export function parsePublicKey(name: string, line: string): { key?: PublicKey; problem?: [string, string] } {
  const fields = line.trim().split(/\s+/);
  const [type, b64 = '', ...rest] = fields;
  if (!type || !(PUBLIC_KEY_TYPES as readonly string[]).includes(type)) {
    return {
      problem: [
        `unsupported key type "${(type ?? '').slice(0, 40)}"`,
        `write one OpenSSH public key line starting with ${PUBLIC_KEY_TYPES.slice(0, 3).join(', ')} (no options before it)`,
      ],
    };
  }
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || b64.length % 4 !== 0) {
    return {
      problem: [
        'the key data is not valid base64',
        'paste the whole line from the .pub file that ssh-keygen wrote',
      ],
    };
  }
  const blob = Buffer.from(b64, 'base64');
  const innerLen = blob.length >= 4 ? blob.readUInt32BE(0) : -1;
  const inner =
    innerLen >= 0 && innerLen <= blob.length - 4 ? blob.subarray(4, 4 + innerLen).toString('latin1') : '';
  if (inner !== type) {
    return {
      problem: [
        `the key data does not hold a ${type} key`,
        'paste the whole line from the .pub file that ssh-keygen wrote',
      ],
    };
  }
  if (type === 'ssh-ed25519' && blob.length !== 4 + innerLen + 4 + 32) {
    return {
      problem: [
        'the ed25519 key data has the wrong length',
        'paste the whole line from the .pub file that ssh-keygen wrote',
      ],
    };
  }
  const comment = rest.join(' ');
  return {
    key: {
      name,
      type,
      base64: b64,
      comment,
      fingerprint: fingerprint(blob),
      line: [type, b64, comment].filter(Boolean).join(' '),
    },
  };
}
