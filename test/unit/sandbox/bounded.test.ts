import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { mapBounded } from '../../../src/sandbox/bounded.ts';

describe('mapBounded', () => {
  it('runs at most `limit` at once and returns results in input order', async () => {
    let running = 0;
    let most = 0;
    const out = await mapBounded([50, 10, 30, 5, 20, 1, 15], 3, async (ms) => {
      most = Math.max(most, ++running);
      await sleep(ms);
      running--;
      return ms * 2;
    });
    expect(out).toEqual([100, 20, 60, 10, 40, 2, 30]);
    expect(most).toBe(3);
  });

  it('rejects with the first failure and starts no item after it', async () => {
    const started: number[] = [];
    const run = mapBounded([1, 2, 3, 4], 1, async (n) => {
      started.push(n);
      if (n === 2) throw new Error('expected failure on 2');
      return n;
    });
    await expect(run).rejects.toThrow('expected failure on 2');
    expect(started).toEqual([1, 2]);
  });

  it('handles no items and a limit larger than the list', async () => {
    expect(await mapBounded([], 4, async (n: number) => n)).toEqual([]);
    expect(await mapBounded([7], 16, async (n) => n + 1)).toEqual([8]);
  });
});
