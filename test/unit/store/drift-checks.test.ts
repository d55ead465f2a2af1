import { describe, expect, it } from 'vitest';
import { Store } from '../../../src/store/store.ts';
import { caddyDriftPlan } from '../../support/drift-plan.ts';

const plan = caddyDriftPlan;
const check = (pipeline: string, environment: string, subjects: string[], checkedAt: number) => ({
  pipeline,
  environment,
  sha: 'a'.repeat(40),
  branch: 'main',
  checkedAt,
  status: subjects.length ? ('drift' as const) : ('clean' as const),
  plan: plan(subjects),
});

describe('DriftChecks', () => {
  it('keeps every check; latest gives the newest per pipeline and environment, previous the one before', () => {
    const store = new Store(':memory:');
    const a = store.drift.record(check('infra', 'dev', ['route /'], 1));
    store.drift.record(check('infra', 'prod', [], 2));
    const b = store.drift.record(check('infra', 'dev', ['route /', 'route /x'], 3));
    store.drift.record(check('edge', 'dev', [], 4));
    expect(b).toMatchObject({ status: 'drift', changes: 2, plan: plan(['route /', 'route /x']) });
    expect(store.drift.latest().map((c) => [c.pipeline, c.environment, c.checkedAt])).toEqual([
      ['edge', 'dev', 4],
      ['infra', 'dev', 3],
      ['infra', 'prod', 2],
    ]);
    expect(store.drift.latest('dev').map((c) => c.checkedAt)).toEqual([4, 3]);
    expect(store.drift.previous(b)?.id).toBe(a.id);
    expect(store.drift.previous(a)).toBeUndefined();
    store.close();
  });

  it('gives the same drift the same fingerprint, whenever and wherever it is found', () => {
    const store = new Store(':memory:');
    const one = store.drift.record(check('infra', 'dev', ['route /'], 1));
    const again = store.drift.record({ ...check('infra', 'dev', ['route /'], 9), sha: 'b'.repeat(40) });
    const other = store.drift.record(check('infra', 'dev', ['route /y'], 10));
    expect(again.fingerprint).toBe(one.fingerprint);
    expect(other.fingerprint).not.toBe(one.fingerprint);
    store.close();
  });
});
