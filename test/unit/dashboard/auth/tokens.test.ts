import { describe, expect, it } from 'vitest';
import { generateToken, hashToken } from '../../../../src/dashboard/auth/tokens.ts';

describe('tokens', () => {
  it('are 32 random bytes, prefixed, and stored as their SHA-256', () => {
    const t = generateToken();
    expect(t).toMatch(/^slw_[A-Za-z0-9_-]{43}$/);
    expect(generateToken()).not.toBe(t);
    expect(hashToken(t)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashToken(t)).toBe(hashToken(t));
  });
});
