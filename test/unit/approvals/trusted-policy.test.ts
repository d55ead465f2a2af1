import { describe, expect, it } from 'vitest';
import {
  branchRefusal,
  jobGate,
  runPipelineKey,
  stepGate,
  type TrustedPolicy,
  trustedPolicyOf,
} from '../../../src/approvals/trusted-policy.ts';
import {
  type Job,
  job as jobSchema,
  pipeline as pipelineSchema,
} from '../../../src/config/schema/pipeline.ts';
import { project as projectSchema } from '../../../src/config/schema/project.ts';

const RUN = { run: { command: ['true'] } };
const ROOT = '/ops';

/** The default branch: one pipeline with a dev gate, a stricter prod gate and a mid-job step gate. */
function trusted(): TrustedPolicy {
  const pipeline = pipelineSchema.parse({
    name: 'app',
    jobs: {
      dev: { environment: 'dev', approval: { approvers: ['alice'] }, steps: [RUN] },
      prod: {
        environment: 'prod',
        approval: { approvers: ['alice', 'bob'], required: 2, wait: '5m' },
        steps: [RUN],
      },
      mid: { environment: 'dev', steps: [RUN, { approval: { approvers: ['carol'] } }, RUN] },
    },
  });
  return trustedPolicyOf(
    {
      root: ROOT,
      project: projectSchema.parse({ environments: { dev: {}, prod: { branches: ['main', 'release/*'] } } }),
      pipelines: [{ file: 'pipelines/app.yml', pipeline, positions: new Map() }],
      inventories: new Map(),
      keys: new Map(),
      accessFiles: new Map(),
      sitesFiles: new Map(),
    },
    'refs/heads/main',
    'e'.repeat(40),
  );
}

const job = (input: unknown): Job => jobSchema.parse(input);
const FILE = 'pipelines/app.yml';

describe('the gate of a run job under the trusted policy', () => {
  it("takes the trusted job's gate, whatever the run's pipeline writes", () => {
    const mine = job({
      environment: 'prod',
      approval: { approvers: ['mallory'], allow_self_approval: true },
      steps: [RUN],
    });
    expect(jobGate(trusted(), FILE, 'prod', mine)).toMatchObject({
      approvers: ['alice', 'bob'],
      required: 2,
      allowSelfApproval: false,
      waitMs: 300_000,
    });
    expect(jobGate(trusted(), FILE, 'prod', job({ environment: 'prod', steps: [RUN] }))?.required).toBe(2);
  });

  it('gives an unknown job, or a known one moved to another environment, the strictest gate there', () => {
    expect(
      jobGate(trusted(), FILE, 'renamed', job({ environment: 'prod', steps: [RUN] }))?.approvers,
    ).toEqual(['alice', 'bob']);
    expect(jobGate(trusted(), FILE, 'dev', job({ environment: 'prod', steps: [RUN] }))?.required).toBe(2);
    expect(
      jobGate(trusted(), 'pipelines/other.yml', 'x', job({ environment: 'prod', steps: [RUN] }))?.required,
    ).toBe(2);
    expect(jobGate(trusted(), FILE, 'build', job({ steps: [RUN] }))).toBeUndefined();
  });

  it("never gives an app repository's job the gate of an ops job that shares its file, name and environment", () => {
    // The app copies the ops job `mid` (no gate before it, a step gate it holds in place, which the app's
    // own approvers would then decide): under the ops key it would start without a gate.
    const copied = job({ environment: 'dev', steps: [RUN, { approval: { approvers: ['mallory'] } }, RUN] });
    expect(jobGate(trusted(), runPipelineKey(ROOT, 'pipelines/app.yml'), 'mid', copied)).toBeUndefined();
    const key = runPipelineKey('/work/app-sha', 'pipelines/app.yml', 'notes');
    expect(key).toBe('notes:pipelines/app.yml');
    expect(jobGate(trusted(), key, 'mid', copied)?.approvers).toEqual(['alice']);
  });

  it('moves a trusted step gate the run dropped to the front of the job, and keeps one it holds in place', () => {
    const dropped = job({ environment: 'dev', steps: [RUN, RUN] });
    expect(jobGate(trusted(), FILE, 'mid', dropped)?.approvers).toEqual(['carol']);
    const kept = job({ environment: 'dev', steps: [RUN, { approval: { approvers: ['mallory'] } }, RUN] });
    expect(jobGate(trusted(), FILE, 'mid', kept)).toBeUndefined();
    expect(stepGate(trusted(), FILE, 'mid', kept, 1)).toMatchObject({ approvers: ['carol'] });
  });

  it('refuses an approval step the trusted ref has no policy for at all', () => {
    const added = job({ steps: [{ approval: { approvers: ['mallory'] } }] });
    expect(stepGate(trusted(), FILE, 'build', added, 0)).toEqual({
      error: expect.stringContaining(
        'approval step 0 of job build has no policy on refs/heads/main (eeeeeeeeeeee)',
      ),
    });
  });
});

describe('branchRefusal', () => {
  it("checks the run's branch against the trusted environment's globs, and refuses undeclared environments", () => {
    expect(branchRefusal(trusted(), 'release/1.2', 'prod')).toBeUndefined();
    expect(branchRefusal(trusted(), 'feature/x', 'dev')).toBeUndefined();
    expect(branchRefusal(trusted(), 'feature/x', 'prod')).toBe(
      'branch feature/x may not deploy to prod: slipway.yml on refs/heads/main (eeeeeeeeeeee) allows main, release/*',
    );
    expect(branchRefusal(trusted(), 'main', 'prod2')).toBe(
      'environment prod2 is not declared in slipway.yml on refs/heads/main (eeeeeeeeeeee) (declared: dev, prod)',
    );
  });
});
