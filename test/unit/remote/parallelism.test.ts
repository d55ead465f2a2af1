import { resolve } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PARALLEL, hostParallelism } from '../../../src/remote/parallelism.ts';

const SLIPWAY = resolve(import.meta.dirname, '../../../bin/slipway');

describe('host parallelism (--parallel N)', () => {
  it('is the default without a setting, and the setting when it is a whole number from 1 to 256', () => {
    expect(hostParallelism({})).toBe(DEFAULT_PARALLEL);
    expect(hostParallelism({ SLIPWAY_PARALLEL: '' })).toBe(DEFAULT_PARALLEL);
    expect(hostParallelism({ SLIPWAY_PARALLEL: '1' })).toBe(1);
    expect(hostParallelism({ SLIPWAY_PARALLEL: '32' })).toBe(32);
  });

  it('refuses anything else with the option named', () => {
    for (const bad of ['0', '-2', '2.5', 'eight', '257']) {
      expect(() => hostParallelism({ SLIPWAY_PARALLEL: bad })).toThrow(
        `--parallel / SLIPWAY_PARALLEL: expected a whole number from 1 to 256, got "${bad}"`,
      );
    }
  });

  it('the CLI refuses a bad --parallel before the command runs, and passes a good one on', async () => {
    const bad = await execa(SLIPWAY, ['--parallel', '0', 'validate'], { reject: false });
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toContain(
      '--parallel / SLIPWAY_PARALLEL: expected a whole number from 1 to 256, got "0"',
    );
    expect(bad.stdout).toBe('');
    const good = await execa(SLIPWAY, ['--parallel', '4', 'validate'], { reject: false });
    expect(good.exitCode).toBe(0);
  });
});
