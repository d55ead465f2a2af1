import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { unifiedDiff } from '../../../src/util/line-diff.ts';

/** The hunks GNU diff -u prints for the same texts (headers dropped, `,1` spelled out as we do). */
function gnuDiff(before: string, after: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'line-diff-'));
  try {
    writeFileSync(join(dir, 'a'), before);
    writeFileSync(join(dir, 'b'), after);
    let out = '';
    try {
      execFileSync('diff', ['-u', join(dir, 'a'), join(dir, 'b')], { encoding: 'utf8' });
    } catch (e) {
      out = (e as { stdout: string }).stdout;
    }
    return out
      .split('\n')
      .slice(2)
      .filter((l) => l !== '' && !l.startsWith('\\'))
      .map((l) =>
        l.startsWith('@@')
          ? l.replace(/([-+])(\d+)(?=[ ])/g, (_m, sign: string, n: string) => `${sign}${n},1`)
          : l,
      )
      .join('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const lines = (n: number, f: (i: number) => string) =>
  `${Array.from({ length: n }, (_, i) => f(i)).join('\n')}\n`;

describe('unifiedDiff', () => {
  it('is empty for equal texts', () => {
    expect(unifiedDiff('a\nb\n', 'a\nb\n')).toBe('');
    expect(unifiedDiff('', '')).toBe('');
  });

  it('shows a new file as added lines from line 0', () => {
    expect(unifiedDiff('', 'hello\nworld\n')).toBe('@@ -0,0 +1,2 @@\n+hello\n+world');
  });

  it('shows a removed file as removed lines', () => {
    expect(unifiedDiff('gone\n', '')).toBe('@@ -1,1 +0,0 @@\n-gone');
  });

  it.each([
    [
      'one line changed in the middle',
      lines(20, (i) => `line ${i}`),
      lines(20, (i) => (i === 9 ? 'changed' : `line ${i}`)),
    ],
    [
      'two distant changes: two hunks',
      lines(30, (i) => `l${i}`),
      lines(30, (i) => (i === 2 || i === 25 ? `x${i}` : `l${i}`)),
    ],
    [
      'two close changes: one hunk',
      lines(30, (i) => `l${i}`),
      lines(30, (i) => (i === 10 || i === 15 ? `x${i}` : `l${i}`)),
    ],
    ['insertions and deletions', 'a\nb\nc\nd\ne\nf\n', 'a\nc\nd\nX\ne\nf\ng\n'],
    ['repeated lines', 'x\nx\ny\nx\nx\n', 'x\ny\ny\nx\n'],
  ])('matches GNU diff -u: %s', (_name, before, after) => {
    expect(unifiedDiff(before, after)).toBe(gnuDiff(before, after));
  });

  it('replaces the middle whole when it differs in more lines than it would diff', () => {
    const before = lines(1200, (i) => `a${i}`);
    const after = lines(1200, (i) => `b${i}`);
    const diff = unifiedDiff(before, after).split('\n');
    expect(diff[0]).toBe('@@ -1,1200 +1,1200 @@');
    expect(diff.filter((l) => l.startsWith('-')).length).toBe(1200);
    expect(diff.filter((l) => l.startsWith('+')).length).toBe(1200);
  });
});
