import { roleDir } from '../ansible/roles.ts';
import { ansibleHandler } from './ansible.ts';
import type { AnsibleStep } from './kinds/ansible.ts';
import type { DockerHostStep } from './kinds/docker-host.ts';
import type { StepHandler } from './types.ts';

/**
 * The `ansible` step that runs roles/docker_host (the ops repository's own, else Slipway's) on the step's
 * hosts: its settings come from inventory variables (`docker_host_*`, see roles/docker_host/README.md).
 */
export function dockerHostAsAnsible(step: DockerHostStep, root: string): AnsibleStep {
  return {
    ...(step.name !== undefined ? { name: step.name } : {}),
    ansible: {
      role: roleDir('docker_host', root),
      hosts: step['docker-host'].hosts,
      extra_vars: {},
      tags: [],
    },
  };
}

/** The `docker-host` step kind: plan and apply are the `ansible` step's, on roles/docker_host. */
export const dockerHostHandler: StepHandler<DockerHostStep> = {
  plan: (ctx, step) => ansibleHandler.plan(ctx, dockerHostAsAnsible(step, ctx.repo.root)),
  apply: (ctx, step) => ansibleHandler.apply(ctx, dockerHostAsAnsible(step, ctx.repo.root)),
};
