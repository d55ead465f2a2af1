import { describe, expect, it } from 'vitest';
import { iniValue, literalEval } from '../../../../src/config/inventory/python-literal.ts';

describe('INI values as Python literals', () => {
  it.each([
    ['5', 5],
    ['-3', -3],
    ['1_000', 1000],
    ['0x10', 16],
    ['1e3', 1000],
    ['.5', 0.5],
    ['True', true],
    ['None', null],
    ["'x'", 'x'],
    ['u"x"', 'x'],
    ['b"x"', 'x'],
    ["'a' 'b'", 'ab'],
    ['"tab\\there"', 'tab\there'],
    ["[1, 'a', (2, 3)]", [1, 'a', [2, 3]]],
    ["{'pool': 5, 'x': [True]}", { pool: 5, x: [true] }],
    ['5 # comment', 5],
  ])('%s', (text, value) => {
    expect(literalEval(text)).toEqual({ value });
  });

  it.each(['0644', 'foo', 'true', 'yes', '1 2', '1+1', 'hello world', '{1, 2}', '"unclosed', '1j', ''])(
    'keeps %j as text',
    (text) => {
      expect(literalEval(text)).toBeUndefined();
      expect(iniValue(text)).toBe(text);
    },
  );
});
