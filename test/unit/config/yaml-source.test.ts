import { describe, expect, it } from 'vitest';
import { parseYaml, positionOf } from '../../../src/config/yaml-source.ts';

function bomb(levels: number): string {
  const lines = ['a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
  for (let i = 1; i <= levels; i++)
    lines.push(
      `a${i}: &a${i} [${Array(9)
        .fill(`*a${i - 1}`)
        .join(', ')}]`,
    );
  return `${lines.join('\n')}\n`;
}

describe('YAML sources', () => {
  it('refuses a billion-laughs document before expanding it, with bounded memory', () => {
    const before = process.memoryUsage().heapUsed;
    const { source, errors } = parseYaml(bomb(30), 'bomb.yml');
    expect(source).toBeUndefined();
    expect(errors[0]?.message).toContain('too many alias expansions');
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(64 * 1024 * 1024);
  });

  it('keeps a few anchors working', () => {
    const { source } = parseYaml('base: &b { x: 1 }\nuse: *b\n', 'ok.yml');
    expect(source?.value).toEqual({ base: { x: 1 }, use: { x: 1 } });
  });

  it('reads Ansible files with PyYAML booleans: yes/on are true, y stays text', () => {
    const { source } = parseYaml('a: yes\nb: on\nc: y\nd: 0644\ne: 2024-01-02\n', 'v.yml', 'ansible');
    expect(source?.value).toEqual({ a: true, b: true, c: 'y', d: 420, e: '2024-01-02' });
  });

  it('keeps `on` a key in Slipway files (YAML 1.2)', () => {
    expect(parseYaml('on: { manual: true }\n', 'p.yml').source?.value).toEqual({ on: { manual: true } });
  });

  it('points at values, keys, and at the parent entry of a missing key', () => {
    const { source } = parseYaml('jobs:\n  build:\n    needs: [a, b]\n', 'p.yml');
    expect(positionOf(source!, ['jobs', 'build', 'needs', 1])).toMatchObject({ line: 3, col: 16 });
    expect(positionOf(source!, ['jobs', 'build', 'needs'], 'key')).toMatchObject({ line: 3, col: 5 });
    expect(positionOf(source!, ['jobs', 'build', 'steps'])).toMatchObject({ line: 2, col: 3 });
  });
});

describe('YAML nesting limit', () => {
  it('refuses deep flow nesting at the line and column where it passes the limit', () => {
    const text = `a: 1\nb: ${'['.repeat(300)}${']'.repeat(300)}\n`;
    expect(parseYaml(text, 'd.yml').errors[0]).toMatchObject({
      line: 2,
      col: 4 + 200,
      message: 'nesting deeper than 200 levels',
    });
  });

  it('ignores brackets inside quotes, comments and host ranges', () => {
    const text = `a: "${'['.repeat(300)}"\n# ${'{'.repeat(300)}\nweb[01:04].example.com: 1\n`;
    expect(parseYaml(text, 'ok.yml').errors).toEqual([]);
  });
});
