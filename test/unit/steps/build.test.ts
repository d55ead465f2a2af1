import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ociLabels } from '../../../src/docker/image-ref.ts';
import { commitTime } from '../../../src/steps/build.ts';
import { tempOpsRepo } from '../../support/ops-repo.ts';

describe('build labels of one commit are the same for every build', () => {
  let repo: string;
  beforeAll(() => {
    repo = tempOpsRepo({ 'apps/web/Dockerfile': 'FROM scratch\n' });
  });
  afterAll(() => rmSync(repo, { recursive: true, force: true }));

  it('dates the image by its commit, and adds no creation time it cannot know', async () => {
    const sha = execFileSync('git', ['-C', repo, 'rev-parse', 'HEAD']).toString().trim();
    const epoch = Number(execFileSync('git', ['-C', repo, 'show', '-s', '--format=%ct', sha]).toString());
    const created = await commitTime(repo, sha);
    expect(created?.getTime()).toBe(epoch * 1000);
    const first = ociLabels({ revision: sha, created: created! });
    await new Promise((r) => setTimeout(r, 5));
    expect(ociLabels({ revision: sha, created: (await commitTime(repo, sha))! })).toEqual(first);
    expect(await commitTime(repo, 'f'.repeat(40))).toBeUndefined();
    expect(ociLabels({ revision: 'f'.repeat(40) })).toEqual({
      'org.opencontainers.image.revision': 'f'.repeat(40),
    });
  });
});
