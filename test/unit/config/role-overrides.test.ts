import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadRepo } from '../../../src/config/load-repo.ts';
import { tempOpsRepo } from '../../support/ops-repo.ts';

const roleTasks = '- name: Say hello\n  debug: { msg: hello }\n';

describe("an ops repository's own roles/caddy and roles/ssh_keys", () => {
  let root: string | undefined;
  afterEach(() => {
    if (root) rmSync(root, { recursive: true, force: true });
    root = undefined;
  });

  it('validates when each is a directory in the repository', async () => {
    root = tempOpsRepo({ 'slipway.yml': 'environments: {}\n', 'roles/caddy/tasks/main.yml': roleTasks });
    expect((await loadRepo(root)).ok).toBe(true);
  });

  it('refuses one that is a symlink leading outside the repository', async () => {
    root = tempOpsRepo({ 'slipway.yml': 'environments: {}\n' });
    const outside = join(root, '..', `${root.split('/').pop()}-outside`);
    mkdirSync(join(outside, 'tasks'), { recursive: true });
    writeFileSync(join(outside, 'tasks', 'main.yml'), roleTasks);
    mkdirSync(join(root, 'roles'));
    symlinkSync(outside, join(root, 'roles', 'ssh_keys'));
    try {
      const r = await loadRepo(root);
      expect(r.ok).toBe(false);
      if (!r.ok)
        expect(r.errors).toEqual([
          expect.objectContaining({
            file: 'roles/ssh_keys',
            message:
              'expected a role directory in the repository, got a symlink leading outside the repository',
          }),
        ]);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('refuses one that is a file', async () => {
    root = tempOpsRepo({ 'slipway.yml': 'environments: {}\n', 'roles/caddy': 'not a role\n' });
    const r = await loadRepo(root);
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.errors[0]).toMatchObject({
        file: 'roles/caddy',
        message: expect.stringMatching(/got a file$/),
      });
  });
});
