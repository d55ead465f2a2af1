import { describe, expect, it } from 'vitest';
import { didYouMean, editDistance, suggestionHint } from '../../../src/config/did-you-mean.ts';

describe('did you mean', () => {
  it('measures edits with transpositions as one', () => {
    expect(editDistance('needs', 'nedes')).toBe(1);
    expect(editDistance('compose', 'compse')).toBe(1);
    expect(editDistance('abc', 'xyz')).toBe(3);
  });

  it('suggests only plausible typos', () => {
    expect(didYouMean('nedes', ['needs', 'steps', 'timeout'])).toBe('needs');
    expect(didYouMean('Name', ['name'])).toBe('name');
    expect(didYouMean('staging', ['dev', 'prod'])).toBeUndefined();
  });

  it('falls back to listing what is allowed', () => {
    expect(suggestionHint('zzz', ['a', 'b'])).toBe('allowed: a, b');
    expect(suggestionHint('pusj', ['push'])).toBe('did you mean "push"?');
  });
});
