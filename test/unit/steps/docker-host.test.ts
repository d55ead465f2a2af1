import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SHIPPED_ROLES } from '../../../src/ansible/roles.ts';
import type { Inventory } from '../../../src/config/types.ts';
import { playbookOptionsOf } from '../../../src/steps/ansible.ts';
import { dockerHostAsAnsible } from '../../../src/steps/docker-host.ts';
import { dockerHostKind } from '../../../src/steps/kinds/docker-host.ts';
import { tempOpsRepo } from '../../support/ops-repo.ts';

const step = (o: Record<string, unknown>, name?: string) =>
  dockerHostKind.schema.parse({ 'docker-host': o, ...(name ? { name } : {}) });

const repos: string[] = [];
afterEach(() => {
  for (const r of repos.splice(0)) rmSync(r, { recursive: true, force: true });
});

describe('the docker-host step: roles/docker_host through the ansible step', () => {
  it("runs Slipway's own role on the step's hosts, found by name through roles_path", () => {
    const root = tempOpsRepo({ 'slipway.yml': 'environments: { dev: {} }\n' });
    repos.push(root);
    const a = dockerHostAsAnsible(step({ hosts: 'web' }, 'docker'), root);
    expect(a).toEqual({
      name: 'docker',
      ansible: { role: join(SHIPPED_ROLES, 'docker_host'), hosts: 'web', extra_vars: {}, tags: [] },
    });
    const inventory: Inventory = {
      environment: 'dev',
      dir: join(root, 'inventories/dev'),
      hosts: new Map(),
      groups: new Map(),
      ansibleList: {},
    };
    const o = playbookOptionsOf({
      options: a.ansible,
      playbook: 'role.yml',
      inventory,
      hosts: [],
      root,
      check: true,
    });
    expect(o.rolesPath).toEqual([SHIPPED_ROLES, join(root, 'roles')]);
    expect(o.limit).toEqual(['web']);
    expect([o.check, o.diff]).toEqual([true, true]);
  });

  it("runs the ops repository's own roles/docker_host instead when it has one; all hosts by default", () => {
    const root = tempOpsRepo({ 'roles/docker_host/tasks/main.yml': '[]\n' });
    repos.push(root);
    expect(dockerHostAsAnsible(step({}), root).ansible).toMatchObject({
      role: join(root, 'roles/docker_host'),
      hosts: 'all',
    });
  });
});
