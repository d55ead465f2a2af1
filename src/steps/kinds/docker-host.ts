import { z } from 'zod';
import { name } from '../../config/schema/common.ts';
import { defineStepKind, type StepOf } from '../kind.ts';

const options = z.strictObject({
  hosts: name.default('all'),
});

/** `docker-host`: roles/docker_host (the distribution's Docker and compose, dockerd, the deploy user). */
export const dockerHostKind = defineStepKind({
  key: 'docker-host',
  summary:
    "Installs the distribution's Docker Engine and compose where missing, runs dockerd and lets the deploy user use it (roles/docker_host)",
  options,
  hosts: (o) => o.hosts,
  files: () => ({}),
  describe: () => "Docker Engine and compose from the distribution's packages (roles/docker_host)",
  // Its plan is the role's --check --diff: it changes nothing, so a drift check may plan it.
  driftCheck: true,
  handler: () => import('../docker-host.ts').then((m) => m.dockerHostHandler),
});
export type DockerHostStep = StepOf<'docker-host', typeof options>;
