import { describe, expect, it } from 'vitest';
import { runTimeoutMs } from '../../../src/ansible/run-timeout.ts';

describe('runTimeoutMs', () => {
  it('gives each wave of forks the per-wave limit: 200 hosts at forks 50 get 4x, a few hosts 1x', () => {
    expect(runTimeoutMs(300_000, 200, 50)).toBe(1_200_000);
    expect(runTimeoutMs(300_000, 51, 50)).toBe(600_000);
    expect(runTimeoutMs(300_000, 3, 8)).toBe(300_000);
    expect(runTimeoutMs(300_000, 0, 8)).toBe(300_000);
  });

  it('takes the forks from SLIPWAY_PARALLEL (default 8) when not given', () => {
    const saved = process.env.SLIPWAY_PARALLEL;
    try {
      delete process.env.SLIPWAY_PARALLEL;
      expect(runTimeoutMs(1000, 20)).toBe(3000);
      process.env.SLIPWAY_PARALLEL = '50';
      expect(runTimeoutMs(1000, 200)).toBe(4000);
    } finally {
      if (saved === undefined) delete process.env.SLIPWAY_PARALLEL;
      else process.env.SLIPWAY_PARALLEL = saved;
    }
  });

  it('refuses forks below 1', () => {
    expect(() => runTimeoutMs(1000, 5, 0)).toThrow('expected forks >= 1, got 0');
  });
});
