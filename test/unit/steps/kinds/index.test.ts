import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  describeStep,
  STEP_KINDS,
  step,
  stepKind,
  stepKindsTable,
} from '../../../../src/steps/kinds/index.ts';

const README = resolve(import.meta.dirname, '..', '..', '..', '..', 'README.md');

describe('the registry of step kinds', () => {
  it("the README's table of step kinds is the registry's", () => {
    const readme = readFileSync(README, 'utf8');
    const table = /<!-- step-kinds -->\n([\s\S]*?)\n<!-- \/step-kinds -->/.exec(readme)?.[1];
    expect(table, 'README.md: paste stepKindsTable() between <!-- step-kinds --> markers').toBe(
      stepKindsTable(),
    );
  });

  it('every kind has a loadable plan and apply', async () => {
    for (const kind of STEP_KINDS) {
      const handler = await kind.handler();
      expect(typeof handler.plan, kind.key).toBe('function');
      expect(typeof handler.apply, kind.key).toBe('function');
    }
  });

  it('a step validates only as a kind the registry holds', () => {
    expect(STEP_KINDS.map((k) => k.key)).toEqual([
      'run',
      'approval',
      'ssh-keys',
      'caddy',
      'docker-host',
      'ansible',
      'build',
      'push',
      'deploy',
      'sync',
    ]);
    expect(stepKind(step.parse({ caddy: {} }))).toBe('caddy');
    expect(stepKind(step.parse({ ansible: { playbook: 'site.yml' } }))).toBe('ansible');
    expect(step.safeParse({ terraform: { dir: 'tf' } }).success).toBe(false);
  });
});

describe('describeStep', () => {
  const web1 = { name: 'web1', address: '10.0.0.1', port: 22, vars: {}, groups: ['all', 'web'] };
  const inventory = {
    environment: 'dev',
    dir: '/nonexistent',
    hosts: new Map([['web1', web1]]),
    groups: new Map([['all', ['web1']]]),
    ansibleList: {},
  };
  const ctx = { pipeline: { name: 'web' }, inventory, accessFiles: new Map(), sitesFiles: new Map() };

  it('labels the step, says what it does from its kind, and lists the hosts it targets', () => {
    expect(describeStep(step.parse({ name: 'ship', deploy: { compose: 'c.yml' } }), ctx)).toBe(
      'deploy "ship": app web (c.yml, batch 1) -> all: web1 (10.0.0.1)',
    );
    expect(describeStep(step.parse({ caddy: { sites: 'infra/edge.yml' } }), ctx)).toBe(
      'caddy: no sites (infra/edge.yml) -> all: web1 (10.0.0.1)',
    );
    expect(describeStep(step.parse({ run: { command: ['echo', 'a b'] } }), ctx)).toBe("run: echo 'a b'");
    const ansible = { playbook: 'site.yml', tags: ['motd', 'ntp'], extra_vars: { motd: 'hi' } };
    expect(describeStep(step.parse({ ansible }), ctx)).toBe(
      'ansible: site.yml, tags motd,ntp, extra vars motd -> all: web1 (10.0.0.1)',
    );
    expect(describeStep(step.parse({ ansible: { role: 'roles/ntp', hosts: 'web1' } }), ctx)).toBe(
      'ansible: role roles/ntp -> web1: web1 (10.0.0.1)',
    );
  });
});
