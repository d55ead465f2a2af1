import { describe, expect, it } from 'vitest';
import { pathsRead } from '../../../src/cli/clean-tree.ts';
import { pipeline } from '../../../src/config/schema/pipeline.ts';

const read = (steps: unknown[]) =>
  pathsRead(pipeline.parse({ name: 'infra', jobs: { j: { environment: 'dev', steps } } }));

describe('pathsRead', () => {
  it("adds the paths a pipeline's steps name to the folders every run reads", () => {
    expect(read([{ deploy: { compose: 'apps/web/compose.yml' } }])).toContain('apps/web/compose.yml');
    expect(read([{ ansible: { role: 'ops/roles/ntp' } }])).toContain('ops/roles/ntp');
  });

  it("adds a playbook's folder, where its templates and files are, but not the root as a whole", () => {
    const paths = read([
      { ansible: { playbook: 'playbooks/site.yml' } },
      { ansible: { playbook: 'site.yml' } },
    ]);
    expect(paths).toEqual(expect.arrayContaining(['playbooks/site.yml', 'playbooks', 'site.yml']));
    expect(paths).not.toContain('.');
  });
});
