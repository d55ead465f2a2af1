import { type TrustedPolicy, trustedPolicyOf } from '../../src/approvals/trusted-policy.ts';
import { pipeline as pipelineSchema } from '../../src/config/schema/pipeline.ts';
import { project as projectSchema } from '../../src/config/schema/project.ts';

/** A step that does nothing, for jobs that only need one. */
export const RUN = { run: { command: ['true'] } };
/** alice and bob with forge logins; carol with none. */
export const PEOPLE = { alice: { github: 'alice-gh' }, bob: { github: 'bob-gh' }, carol: {} };

/** A default branch: slipway.yml `project` and the jobs of pipelines/app.yml. */
export function policyOf(project: object, jobs: object, sha = 'a'.repeat(40)): TrustedPolicy {
  return trustedPolicyOf(
    {
      root: '/ops',
      project: projectSchema.parse({ people: PEOPLE, ...project }),
      pipelines: [
        {
          file: 'pipelines/app.yml',
          pipeline: pipelineSchema.parse({ name: 'app', jobs }),
          positions: new Map(),
        },
      ],
      inventories: new Map(),
      keys: new Map(),
      accessFiles: new Map(),
      sitesFiles: new Map(),
    },
    'refs/heads/main',
    sha,
  );
}
