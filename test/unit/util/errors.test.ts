import { describe, expect, it } from 'vitest';
import { errorMessage } from '../../../src/util/errors.ts';

describe('errorMessage', () => {
  it("is an Error's message, without its class name or stack", () => {
    expect(errorMessage(new TypeError('expected a string, got 42'))).toBe('expected a string, got 42');
  });

  it('prints anything else thrown as text', () => {
    expect(errorMessage('plain string')).toBe('plain string');
    expect(errorMessage(42)).toBe('42');
    expect(errorMessage(undefined)).toBe('undefined');
  });
});
