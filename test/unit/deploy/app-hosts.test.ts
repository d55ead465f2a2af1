import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadRepo } from '../../../src/config/load-repo.ts';
import type { OpsRepo } from '../../../src/config/types.ts';
import { appsDeployedTo, appTarget, pickHosts } from '../../../src/deploy/app-hosts.ts';

// The sample ops repository of this checkout: web deploys to group `web` of dev and prod.
let repo: OpsRepo;
beforeAll(async () => {
  const loaded = await loadRepo(resolve(import.meta.dirname, '../../..'));
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  repo = loaded.repo;
});

describe('appTarget', () => {
  it('gives the hosts the deploy steps of the app target in the environment, in inventory order', () => {
    const t = appTarget(repo, 'prod', 'web');
    expect(t.hosts.map((h) => h.name)).toEqual(['web01.prod.example.test', 'web02.prod.example.test']);
    expect(t.pipelines.map((p) => p.pipeline.name)).toEqual(['web']);
    expect([...appsDeployedTo(repo, 'prod').keys()]).toEqual(['web', 'notes']);
  });

  it('refuses an environment or app the repository does not have, naming those it has', () => {
    expect(() => appTarget(repo, 'qa', 'web')).toThrow('no environment qa (environments: dev, prod)');
    expect(() => appTarget(repo, 'prod', '../../etc')).toThrow(
      'no pipeline job deploys ../../etc to prod (apps deployed to prod: notes, web)',
    );
  });
});

describe('pickHosts', () => {
  it('narrows to one of the app hosts, and refuses any other', () => {
    const t = appTarget(repo, 'prod', 'web');
    expect(pickHosts(t, 'web02.prod.example.test').map((h) => h.name)).toEqual(['web02.prod.example.test']);
    expect(() => pickHosts(t, 'db01.prod.example.test')).toThrow(
      'web does not run on db01.prod.example.test in prod (its hosts: web01.prod.example.test, web02.prod.example.test)',
    );
  });
});
