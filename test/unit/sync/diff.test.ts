import { describe, expect, it } from 'vitest';
import { diffDetail, diffFiles, diffSummary, releasesToPrune } from '../../../src/sync/diff.ts';

const f = (c: string, mode = 0o644) => ({ sha256: c.repeat(64), size: 1, mode });

describe('diffFiles', () => {
  const live = { 'a.html': f('a'), 'b.css': f('b'), 'old.js': f('c'), 'run.sh': f('d') };
  const wanted = { 'a.html': f('a'), 'b.css': f('e'), 'new.js': f('f'), 'run.sh': f('d', 0o755) };

  it('sorts paths into added, changed (content or mode) and removed', () => {
    const d = diffFiles(live, wanted);
    expect(d).toEqual({ added: ['new.js'], changed: ['b.css', 'run.sh'], removed: ['old.js'] });
    expect(diffSummary(d)).toBe('1 added, 2 changed, 1 removed');
    expect(diffDetail(d, wanted)).toBe(
      [
        `+ new.js ${'f'.repeat(64)}`,
        `~ b.css ${'e'.repeat(64)}`,
        `~ run.sh ${'d'.repeat(64)} (executable)`,
        '- old.js',
      ].join('\n'),
    );
  });

  it('adds every file when nothing is live, and says so when nothing differs', () => {
    expect(diffFiles(undefined, wanted).added).toEqual(['a.html', 'b.css', 'new.js', 'run.sh']);
    const same = diffFiles(live, live);
    expect(diffSummary(same)).toBe('no file changes');
    expect(diffDetail(same, live)).toBe('');
  });
});

describe('releasesToPrune', () => {
  it('keeps the live release first, then the newest, up to keep', () => {
    expect(releasesToPrune(['c', 'b', 'a'], 'd', 2)).toEqual(['b', 'a']);
    expect(releasesToPrune(['c', 'b', 'a'], 'a', 2)).toEqual(['b']);
    expect(releasesToPrune(['a'], 'a', 5)).toEqual([]);
    expect(releasesToPrune([], 'a', 1)).toEqual([]);
  });
});
