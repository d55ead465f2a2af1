import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatConfigError, loadRepo } from '../../../src/config/load-repo.ts';
import { CONFIG_FIXTURES, configCases, materializeCase } from '../../support/config-fixture.ts';

// Each folder of test/fixtures/config/ lays broken files over a valid repo (_base); expected.txt
// holds every message loadRepo must report, exactly, with file:line:col.
describe('broken ops repositories', () => {
  it('the base repository is valid', async () => {
    const result = await loadRepo(join(CONFIG_FIXTURES, '_base'));
    expect(result.ok ? [] : result.errors.map(formatConfigError)).toEqual([]);
  });

  it('has at least 40 broken cases', () => {
    expect(configCases().length).toBeGreaterThanOrEqual(40);
  });

  it.each(configCases())('%s', async (name) => {
    const expected = readFileSync(join(CONFIG_FIXTURES, name, 'expected.txt'), 'utf8')
      .trimEnd()
      .split('\n');
    const { root, cleanup } = materializeCase(name);
    try {
      const result = await loadRepo(root);
      expect(result.ok).toBe(false);
      expect(result.ok ? [] : result.errors.map(formatConfigError)).toEqual(expected);
    } finally {
      cleanup();
    }
  });
});
