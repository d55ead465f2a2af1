import type { PolicySource } from '../../src/approvals/policy-source.ts';
import { trustedPolicyOf } from '../../src/approvals/trusted-policy.ts';
import { project as projectSchema } from '../../src/config/schema/project.ts';

/** A policy source answering slipway.yml `project` (given as its parsed input) with no pipelines. */
export function projectPolicy(project: unknown, root = '/nonexistent'): PolicySource {
  const policy = trustedPolicyOf(
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
