import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { planHash } from '../../../src/approvals/plan-hash.ts';
import type { PlannedStep } from '../../../src/store/types.ts';

const PLAN: PlannedStep[] = [];
const APP = 'a'.repeat(40);

describe('planHash', () => {
  it('binds an app run to the ops commit too: the same app commit and plan under another ops commit is another plan', () => {
    const underOne = planHash(APP, PLAN, 'b'.repeat(40));
    expect(planHash(APP, PLAN, 'b'.repeat(40))).toBe(underOne);
    expect(planHash(APP, PLAN, 'c'.repeat(40))).not.toBe(underOne);
    expect(planHash(APP, PLAN)).not.toBe(underOne);
  });

  it('hashes a run of the ops repository as before, so gates opened before the upgrade keep their approvals', () => {
    const before = createHash('sha256')
      .update(JSON.stringify({ sha: APP, plan: PLAN }))
      .digest('hex');
    expect(planHash(APP, PLAN)).toBe(before);
  });
});
