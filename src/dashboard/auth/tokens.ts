import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const TOKEN_PREFIX = 'slw_';

/** A new random secret (32 bytes, base64url) with a recognisable prefix, for a user token or a session id. */
export function generateToken(prefix = TOKEN_PREFIX): string {
  return prefix + randomBytes(32).toString('base64url');
}

/**
 * SHA-256 of a token, hex: what the store keeps instead of the token.
 * A fast hash is right here, unlike for passwords: the token carries 256 random bits, so there is
 * no dictionary to try and a slow KDF would only make every request pay for a guess no one can make.
 */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Compares two secrets in constant time, so a mismatch position leaks nothing through timing. */
export function secretsEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}
