import { describe, expect, it } from 'vitest';
import { trustedPolicyOf } from '../../../src/approvals/trusted-policy.ts';
import { pipeline as pipelineSchema } from '../../../src/config/schema/pipeline.ts';
import { project as projectSchema } from '../../../src/config/schema/project.ts';
import type { OpsRepo, PipelineFile } from '../../../src/config/types.ts';
import { checkDrift, driftSummary } from '../../../src/engine/drift-check.ts';
import { Store } from '../../../src/store/store.ts';

// Two environments, each with a job of an approval step (a plan of no changes): prod admits main only.
const file: PipelineFile = {
  file: 'pipelines/infra.yml',
  pipeline: pipelineSchema.parse({
    name: 'infra',
    on: { schedule: [{ cron: '@daily', mode: 'plan', branch: 'feature' }] },
    jobs: {
      dev: { environment: 'dev', steps: [{ approval: { approvers: ['alice'] } }] },
      prod: { environment: 'prod', steps: [{ approval: { approvers: ['alice'] } }] },
      local: { steps: [{ approval: { approvers: ['alice'] } }] },
    },
  }),
  positions: new Map(),
};
const repo: OpsRepo = {
  root: '/nonexistent',
  project: projectSchema.parse({ environments: { dev: {}, prod: { branches: ['main'] } } }),
  pipelines: [file],
  inventories: new Map(),
  keys: new Map(),
  accessFiles: new Map(),
  sitesFiles: new Map(),
};

describe('checkDrift', () => {
  it('plans each environment the branch may reach; one it may not is recorded failed, unplanned', async () => {
    const store = new Store(':memory:');
    const records = await checkDrift(store, {
      repo,
      pipeline: file,
      policy: trustedPolicyOf(repo, 'refs/heads/main', 'f'.repeat(40)),
      sha: 'a'.repeat(40),
      branch: 'feature',
      env: {},
      log: () => {},
      now: () => 5,
    });
    expect(records.map((r) => [r.environment, r.status, r.changes])).toEqual([
      ['dev', 'clean', 0],
      ['prod', 'failed', 0],
    ]);
    expect(records[0]!.plan).toEqual([
      { job: 'dev', steps: [expect.objectContaining({ kind: 'approval', changes: [] })] },
    ]);
    expect(records[1]!.reason).toContain('branch feature may not deploy to prod');
    expect(driftSummary(records)).toMatch(
      /^dev: in sync; prod: check failed: branch feature may not deploy to prod/,
    );
    expect(
      store.drift
        .latest()
        .map((r) => r.environment)
        .sort(),
    ).toEqual(['dev', 'prod']);
    store.close();
  });
});
