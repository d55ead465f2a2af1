import type { PolicySource } from '../../src/approvals/policy-source.ts';
import { type TrustedPolicy, trustedPolicyOf } from '../../src/approvals/trusted-policy.ts';
import { project as projectSchema } from '../../src/config/schema/project.ts';

/** The policy of slipway.yml `project` (given as its parsed input) with no pipelines, on main. */
export function projectTrustedPolicy(project: unknown, root = '/nonexistent'): TrustedPolicy {
  return trustedPolicyOf(
    {
      root,
      project: projectSchema.parse(project),
      pipelines: [],
      inventories: new Map(),
      keys: new Map(),
      accessFiles: new Map(),
      sitesFiles: new Map(),
    },
    'refs/heads/main',
    'f'.repeat(40),
  );
}

/** A policy source answering slipway.yml `project` (given as its parsed input) with no pipelines. */
export function projectPolicy(project: unknown, root = '/nonexistent'): PolicySource {
  const policy = projectTrustedPolicy(project, root);
  return { current: async () => policy };
}

/** pipelines/gated.yml: one job `ship` behind `approval` (YAML flow text), touching a file. */
export function gatedPipeline(approval: string): string {
  return [
    'name: gated',
    'jobs:',
    '  ship:',
    `    approval: ${approval}`,
    '    steps: [ { run: { command: [touch, shipped] } } ]',
    '',
  ].join('\n');
}
