import { describe, expect, it } from 'vitest';
import { ON_SANDBOX_INVENTORIES, slipway } from '../../../support/slipway-cli.ts';

describe('slipway describe', () => {
  it('prints the job graph in run order with gates and target hosts', async () => {
    const r = await slipway([...ON_SANDBOX_INVENTORIES, 'describe', 'web']);
    expect(r.code).toBe(0);
    const jobs = [...r.stdout.matchAll(/^ {2}(\d+)\. (\S+)/gm)].map((m) => m[2]);
    expect(jobs).toEqual(['build', 'push', 'deploy-dev', 'deploy-prod']);
    expect(r.stdout).toContain('-> web: dev1 (10.207.0.11)');
    expect(r.stdout).toContain('gate: approval by alice, bob, @acme/ops (1 required');
  });
});
