import { describe, expect, it } from 'vitest';
import { ShlexError, shlexSplit } from '../../../../src/config/inventory/shlex.ts';

describe('shlex split of host lines', () => {
  it('splits like shlex.split(comments=True)', () => {
    expect(shlexSplit(`h1 a=1 b="two words" c='x y' d=e\\ f`)).toEqual([
      'h1',
      'a=1',
      'b=two words',
      'c=x y',
      'd=e f',
    ]);
    expect(shlexSplit('a#b c')).toEqual(['a']);
    expect(shlexSplit('x "" y')).toEqual(['x', '', 'y']);
    expect(shlexSplit('k="a\\"b\\\\c\\d"')).toEqual(['k=a"b\\c\\d']);
  });

  it('refuses an unclosed quote', () => {
    expect(() => shlexSplit('h1 x="open')).toThrow(ShlexError);
  });
});
