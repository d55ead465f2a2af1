import { describe, expect, it } from 'vitest';
import { encodedForms, MASK, maskText, maskValues, StreamMasker } from '../../../src/logs/masker.ts';

/** Feeds `chunks` through a masker and returns everything it emitted. */
function stream(values: string[], chunks: string[]): string {
  const m = new StreamMasker(values);
  return chunks.map((c) => m.push(c)).join('') + m.end();
}

describe('StreamMasker', () => {
  it('masks a secret split across chunks at every possible split point', () => {
    const secret = 'hunter2-correct-horse';
    const text = `before ${secret}\nafter ${secret}\n`;
    for (let i = 1; i < text.length; i++) {
      for (let j = i; j < text.length; j++) {
        const out = stream([secret], [text.slice(0, i), text.slice(i, j), text.slice(j)]);
        expect(out).toBe(`before ${MASK}\nafter ${MASK}\n`);
      }
    }
  });

  it('masks a multi-line secret (a key) split across chunks anywhere, lines included', () => {
    const key = '-----BEGIN KEY-----\nQUJDREVGR0hJSktMTU5PUA==\n-----END KEY-----';
    const text = `key:\n${key}\nok\n`;
    const values = maskValues([key]);
    for (let i = 1; i < text.length; i++) {
      const out = stream(values, [text.slice(0, i), text.slice(i)]);
      expect(out).toBe(`key:\n${MASK}\nok\n`);
    }
  });

  it('masks a secret delivered one character at a time', () => {
    const text = 'x=abcdef;';
    expect(stream(['abcdef'], [...text])).toBe(`x=${MASK};`);
  });

  it('holds back only what could still become a secret, and releases it when it does not', () => {
    const m = new StreamMasker(['secret']);
    expect(m.push('a sec')).toBe('a ');
    expect(m.push('ond')).toBe('second');
    expect(m.end()).toBe('');
  });

  it('prefers the longer of two secrets sharing a prefix, even when the shorter one is complete first', () => {
    expect(stream(['abc', 'abcdef'], ['x abc', 'def y'])).toBe(`x ${MASK} y`);
    expect(stream(['abc', 'abcdef'], ['x abc', ' y'])).toBe(`x ${MASK} y`);
  });

  it('masks what is still held back when the stream ends', () => {
    expect(stream(['abc', 'abcdef'], ['tail abc'])).toBe(`tail ${MASK}`);
  });

  it('passes text through when there are no secrets', () => {
    expect(stream([], ['a', 'b'])).toBe('ab');
  });
});

describe('maskValues', () => {
  it('adds each line of a multi-line secret, longest first, and drops empty values', () => {
    const raw = ['line-one\nline-two-longer', 'line-two-longer', 'line-one', 'x'];
    const values = maskValues(['', 'line-one\nline-two-longer', 'x']);
    expect(values.filter((v) => raw.includes(v))).toEqual(raw);
    expect(values).not.toContain('');
    expect(values.map((v) => v.length)).toEqual(values.map((v) => v.length).sort((a, b) => b - a));
  });

  it('adds base64 (any alignment, standard and URL-safe) and URL-encoded forms, not for short values', () => {
    const secret = 'p@ss/w0rd+with=chars';
    const values = maskValues([secret, 'abc']);
    for (const prefix of ['', 'u', 'us', 'use']) {
      const b64 = Buffer.from(`${prefix}${secret}!`).toString('base64');
      expect(maskText(b64, values)).toContain(MASK);
      expect(maskText(Buffer.from(`${prefix}${secret}!`).toString('base64url'), values)).toContain(MASK);
    }
    expect(maskText(`q=${encodeURIComponent(secret)}`, values)).toBe(`q=${MASK}`);
    expect(encodedForms('abc').every((f) => !values.includes(f) || f.length >= 6)).toBe(true);
    expect(values.filter((v) => v.length < 6)).toEqual(['abc']);
  });

  it('maskText masks every occurrence, regex characters included', () => {
    expect(maskText('a.b*c and a.b*c', ['a.b*c'])).toBe(`${MASK} and ${MASK}`);
  });
});
