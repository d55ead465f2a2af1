import { describe, expect, it } from 'vitest';
import { findCycle, jobOrder } from '../../../src/config/job-graph.ts';

describe('job graph', () => {
  const jobs = {
    'deploy-prod': { needs: ['deploy-dev'] },
    build: { needs: [] },
    'deploy-dev': { needs: ['push'] },
    push: { needs: ['build'] },
    lint: { needs: [] },
  };

  it('orders jobs after what they need, keeping file order among ready jobs', () => {
    expect(jobOrder(jobs)).toEqual(['build', 'push', 'deploy-dev', 'deploy-prod', 'lint']);
  });

  it('names a cycle from its first job back to it', () => {
    expect(findCycle(jobs)).toBeUndefined();
    expect(findCycle({ a: { needs: ['b'] }, b: { needs: ['c'] }, c: { needs: ['a'] } })).toEqual([
      'a',
      'b',
      'c',
      'a',
    ]);
    expect(findCycle({ a: { needs: ['a'] } })).toEqual(['a', 'a']);
    expect(() => jobOrder({ a: { needs: ['b'] }, b: { needs: ['a'] } })).toThrow('a -> b -> a');
  });
});
