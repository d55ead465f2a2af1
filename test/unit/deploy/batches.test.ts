// biome-ignore-all lint/suspicious/noTemplateCurlyInString: compose files name variables as ${VAR}
import { describe, expect, it } from 'vitest';
import { batches, firstAlone } from '../../../src/deploy/batches.ts';

describe('batches', () => {
  const hosts = ['a', 'b', 'c', 'd', 'e'];
  it('splits by count and by percentage (rounded up)', () => {
    expect(batches(hosts, 1)).toEqual([['a'], ['b'], ['c'], ['d'], ['e']]);
    expect(batches(hosts, 2)).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
    expect(batches(hosts, '50%')).toEqual([
      ['a', 'b', 'c'],
      ['d', 'e'],
    ]);
    expect(batches(hosts, '100%')).toEqual([hosts]);
    expect(batches(hosts, '1%')).toHaveLength(5);
    expect(batches([], '50%')).toEqual([]);
  });
  it('refuses sizes that make no batch', () => {
    expect(() => batches(hosts, 0)).toThrow(/positive/);
    expect(() => batches(hosts, '0%')).toThrow(/1%..100%/);
    expect(() => batches(hosts, '150%')).toThrow(/1%..100%/);
  });

  it('puts the first host alone before the rest of its batch', () => {
    expect(firstAlone(batches(hosts, 2))).toEqual([['a'], ['b'], ['c', 'd'], ['e']]);
    expect(firstAlone(batches(hosts, '100%'))).toEqual([['a'], ['b', 'c', 'd', 'e']]);
    expect(firstAlone(batches(hosts, 1))).toEqual(batches(hosts, 1));
    expect(firstAlone([])).toEqual([]);
  });
});
