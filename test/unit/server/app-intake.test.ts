// Pushes of app repositories into `slipway serve`: a real serve in this process, real origins (ops, app), a
// real store; the app's pipeline is loaded at the pushed commit under the ops default branch's config.
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { formatConfigError } from '../../../src/config/load-repo.ts';
import { loadRunTrees } from '../../../src/triggers/run-trees.ts';
import { createGitOrigin, type GitOrigin } from '../../support/git-origin.ts';
import { OPS_FILES, type ServeFixture, startServeFixture } from '../../support/serve-fixture.ts';
import { pushPayload } from '../../support/webhook-payloads.ts';

let fx: ServeFixture | undefined;
let app: GitOrigin | undefined;
afterEach(async () => {
  await fx?.close();
  await app?.cleanup();
  fx = undefined;
  app = undefined;
});

const INVENTORY = 'all:\n  hosts:\n    web01: { ansible_host: 127.0.0.1 }\n';

/** The ops repository: environments dev and prod (prod only from main), app `notes` registered for dev. */
function opsFiles(appUrl: string, envs = '[dev]'): Record<string, string> {
  return {
    ...OPS_FILES,
    'slipway.yml': [
      'environments:',
      '  dev: {}',
      '  prod: { branches: [main] }',
      'apps:',
      '  notes:',
      '    repository: acme/notes',
      `    url: ${appUrl}`,
      `    environments: ${envs}`,
      '',
    ].join('\n'),
    'inventories/dev/hosts.yml': INVENTORY,
    'inventories/prod/hosts.yml': INVENTORY,
  };
}

/** The app's pipeline: a build job, and a job in `env`. */
function appPipeline(env = 'dev'): string {
  return [
    'name: notes',
    'on: { push: { branches: [main] } }',
    'jobs:',
    '  build: { steps: [ { run: { command: ["true"] } } ] }',
    '  deploy:',
    '    needs: [build]',
    `    environment: ${env}`,
    '    steps: [ { run: { command: ["true"] } } ]',
    '',
  ].join('\n');
}

function appPush(after: string, repository = 'acme/notes') {
  const p = pushPayload('github', { ref: 'refs/heads/main', after, paths: ['.slipway/pipeline.yml'] });
  p.repository.full_name = repository;
  return p;
}

async function start(envs?: string) {
  app = await createGitOrigin();
  fx = await startServeFixture({ repository: 'acme/ops' }, opsFiles(app.url, envs));
  return { fx, app };
}

describe('slipway serve: pushes of a registered app repository', () => {
  it('queues a run of the app pipeline at the pushed commit, recording the ops commit it runs under', async () => {
    const { fx, app } = await start();
    const sha = await app.commit({ '.slipway/pipeline.yml': appPipeline() });
    const opsHead = (await execa('git', ['ls-remote', fx.origin.url, 'refs/heads/main'])).stdout.split(
      '\t',
    )[0];
    expect((await fx.deliver('github', 'push', appPush(sha))).status).toBe(202);
    await fx.server.idle();
    const [run] = fx.server.store.runs.list();
    expect(run).toMatchObject({
      pipeline: 'notes',
      pipelineFile: '.slipway/pipeline.yml',
      sha,
      branch: 'main',
    });
    expect(run!.repoRoot.endsWith(`/work/${sha}`)).toBe(true);
    expect(run!.app).toMatchObject({ name: 'notes', opsSha: opsHead });
    expect(run!.app?.opsRoot.endsWith(`/work/${run!.app?.opsSha}`)).toBe(true);
    expect(fx.logs.some((l) => l.includes(`queued run ${run!.id} of notes`))).toBe(true);
  });

  it('reloads a run from its recorded app and ops trees, not from what the ops repository holds now', async () => {
    const { fx, app } = await start();
    const sha = await app.commit({ '.slipway/pipeline.yml': appPipeline() });
    await fx.deliver('github', 'push', appPush(sha));
    await fx.server.idle();
    const [run] = fx.server.store.runs.list();
    // The ops repository moves on: dev gets a second host.
    await fx.origin.commit({
      'inventories/dev/hosts.yml': `${INVENTORY}    web02: { ansible_host: 127.0.0.2 }\n`,
    });
    const loaded = await loadRunTrees(run!, run!.app!.opsRoot);
    if (!loaded.ok) throw new Error(loaded.errors.map(formatConfigError).join('\n'));
    expect(loaded.repo.root).toBe(run!.repoRoot);
    expect(loaded.repo.opsRoot).toBe(run!.app!.opsRoot);
    expect([...loaded.repo.inventories.get('dev')!.hosts.keys()]).toEqual(['web01']);
    expect(loaded.repo.pipelines.map((p) => p.file)).toEqual(['.slipway/pipeline.yml']);
  });

  it('refuses an app pipeline that deploys to an environment the ops repository does not allow it, naming the file:line', async () => {
    const { fx, app } = await start('[dev]');
    const sha = await app.commit({ '.slipway/pipeline.yml': appPipeline('prod') });
    await fx.deliver('github', 'push', appPush(sha));
    await fx.server.idle();
    expect(fx.server.store.runs.list()).toEqual([]);
    const line = fx.logs.find((l) => l.includes('ignored: app notes'));
    expect(line).toContain(
      '.slipway/pipeline.yml:7:18: jobs.deploy.environment: app "notes" may not deploy to environment "prod": ' +
        'slipway.yml on the default branch allows it dev',
    );
  });

  it('refuses an app pipeline with an ssh-keys step: those run only from the ops repository', async () => {
    const { fx, app } = await start();
    const pipeline = appPipeline().replace(
      '    steps: [ { run: { command: ["true"] } } ]',
      '    steps: [ { ssh-keys: { hosts: all } } ]',
    );
    const sha = await app.commit({ '.slipway/pipeline.yml': pipeline });
    await fx.deliver('github', 'push', appPush(sha));
    await fx.server.idle();
    expect(fx.server.store.runs.list()).toEqual([]);
    expect(fx.logs.find((l) => l.includes('ignored: app notes'))).toContain(
      'expected a build, push, deploy, run, sync or approval step in an app pipeline, got a ssh-keys step',
    );
  });

  it('says so when the app commit has no pipeline file', async () => {
    const { fx, app } = await start();
    const sha = await app.commit({ 'README.md': 'notes' });
    await fx.deliver('github', 'push', appPush(sha));
    await fx.server.idle();
    expect(fx.server.store.runs.list()).toEqual([]);
    expect(fx.logs.find((l) => l.includes('ignored: app notes'))).toContain(
      'app "notes" has no pipeline file .slipway/pipeline.yml at this commit',
    );
  });

  it('ignores a push from a repository that is neither the ops repository nor registered', async () => {
    const { fx, app } = await start();
    const sha = await app.commit({ '.slipway/pipeline.yml': appPipeline() });
    await fx.deliver('github', 'push', appPush(sha, 'mallory/notes'));
    await fx.server.idle();
    expect(fx.server.store.runs.list()).toEqual([]);
    expect(fx.logs.find((l) => l.includes('ignored'))).toContain(
      'push to mallory/notes: neither the ops repository acme/ops nor an app registered in slipway.yml on refs/heads/main',
    );
  });
});
