import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { Store } from '../../../../src/store/store.ts';
import { caddyDriftPlan } from '../../../support/drift-plan.ts';
import { REPO } from '../../../support/slipway-cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'slipway-drift-cli-'));
const state = join(dir, 'state.db');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const drift = (...args: string[]) =>
  execa(join(REPO, 'bin/slipway'), ['-C', REPO, 'drift', ...args], {
    env: { SLIPWAY_STATE: state },
    reject: false,
  });

describe('slipway drift', () => {
  it('says when nothing was checked yet, and exits 0', async () => {
    const r = await drift();
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('no drift check recorded (on.schedule with mode: plan)');
  });

  it('prints the last check per environment with the drift itself, and exits 1 on drift', async () => {
    const store = new Store(state);
    const base = {
      pipeline: 'infra',
      sha: 'c0ffee'.repeat(6) + 'abcd',
      branch: 'main',
      checkedAt: Date.UTC(2026, 0, 2, 3, 4, 5),
    };
    store.drift.record({ ...base, environment: 'dev', status: 'clean', plan: [] });
    store.drift.record({
      ...base,
      environment: 'prod',
      status: 'drift',
      plan: caddyDriftPlan(['route /old'], 'caddy-prod', 'remove'),
    });
    store.close();
    const text = await drift();
    expect(text.exitCode).toBe(1);
    expect(text.stdout.split('\n')).toEqual([
      'prod infra: DRIFT (1 change) at 2026-01-02 03:04:05 UTC (main c0ffeec0ffee)',
      '  caddy-prod',
      '    caddy (caddy)',
      '      remove web1: route /old',
      'dev infra: in sync at 2026-01-02 03:04:05 UTC (main c0ffeec0ffee)',
    ]);
    const dev = await drift('dev', '--json');
    expect(dev.exitCode).toBe(0);
    expect(JSON.parse(dev.stdout)).toEqual([
      expect.objectContaining({ environment: 'dev', status: 'clean' }),
    ]);
  });
});
