import { createGitOrigin, type GitOrigin } from './git-origin.ts';
import { OPS_FILES, type ServeFixture, startServeFixture } from './serve-fixture.ts';
import { type Payload, pushPayload } from './webhook-payloads.ts';

const INVENTORY = 'all:\n  hosts:\n    web01: { ansible_host: 127.0.0.1 }\n';

/** The dev inventory of `opsFiles`, and the same with a second host (the ops repository moving on). */
export const DEV_INVENTORY = { one: INVENTORY, two: `${INVENTORY}    web02: { ansible_host: 127.0.0.2 }\n` };

/**
 * An ops repository (the serve fixture's, as acme/ops): environments dev and prod (prod only from main), app
 * `notes` of repository acme/notes registered at `appUrl` for `envs`.
 */
export function opsFiles(appUrl: string, envs = '[dev]', devBranches = '["*"]'): Record<string, string> {
  return {
    ...OPS_FILES,
    'slipway.yml': [
      'environments:',
      `  dev: { branches: ${devBranches} }`,
      '  prod: { branches: [main] }',
      'apps:',
      '  notes:',
      '    repository: acme/notes',
      `    url: ${appUrl}`,
      `    environments: ${envs}`,
      // The fixtures' app pipelines run `true` instead of building: run steps, allowed here.
      '    run_steps: true',
      '',
    ].join('\n'),
    'inventories/dev/hosts.yml': DEV_INVENTORY.one,
    'inventories/prod/hosts.yml': INVENTORY,
  };
}

/**
 * An ops repository with environment dev gated by `approval` (YAML flow text) in its own pipeline, `people`
 * and `teams` (YAML flow text) and app notes of acme/notes registered at `appUrl` for dev.
 */
export function gatedOpsFiles(
  appUrl: string,
  o: { people: string; teams?: string; approval: string },
): Record<string, string> {
  return {
    'slipway.yml': [
      'environments: { dev: {} }',
      ...(o.teams ? [`teams: ${o.teams}`] : []),
      `people: ${o.people}`,
      `apps: { notes: { repository: acme/notes, url: "${appUrl}", environments: [dev], run_steps: true, image: registry.example:5000/acme/notes } }`,
      '',
    ].join('\n'),
    'inventories/dev/hosts.yml': 'all:\n  hosts:\n    web1: { ansible_host: 127.0.0.1 }\n',
    'pipelines/app.yml': [
      'name: app',
      'jobs:',
      '  deploy-dev:',
      '    environment: dev',
      `    approval: ${o.approval}`,
      '    steps: [ { run: { command: ["true"] } } ]',
      '',
    ].join('\n'),
  };
}

/** An app pipeline on pushes of any branch: a build job, and a job in `env`. */
export function appPipeline(env = 'dev'): string {
  return [
    'name: notes',
    'on: { push: {} }',
    'jobs:',
    '  build: { steps: [ { run: { command: ["true"] } } ] }',
    '  deploy:',
    '    needs: [build]',
    `    environment: ${env}`,
    '    steps: [ { run: { command: ["true"] } } ]',
    '',
  ].join('\n');
}

/** A GitHub push of `after` to `branch` of `repository`. */
export function appPush(after: string, repository = 'acme/notes', branch = 'main'): Payload {
  const p = pushPayload('github', { ref: `refs/heads/${branch}`, after, paths: ['.slipway/pipeline.yml'] });
  p.repository.full_name = repository;
  return p;
}

/** The secret of the app repositories' route in {@link startAppServe}: app repositories' webhooks hold it. */
export const APP_WEBHOOK_SECRET = 'app-webhook-secret-for-tests';

/** A serve fixture (acme/ops, worker off unless asked) whose ops repository registers the app origin it returns. */
export async function startAppServe(
  o: { envs?: string; devBranches?: string; worker?: boolean } = {},
): Promise<{ fx: ServeFixture; app: GitOrigin; close(): Promise<void> }> {
  const app = await createGitOrigin();
  try {
    const fx = await startServeFixture(
      {
        repository: 'acme/ops',
        appSecrets: { github: APP_WEBHOOK_SECRET, gitea: APP_WEBHOOK_SECRET },
        ...(o.worker ? { worker: { concurrency: 1, pollMs: 50, graceMs: 5_000 } } : {}),
      },
      opsFiles(app.url, o.envs, o.devBranches),
    );
    return {
      fx,
      app,
      async close() {
        await fx.close();
        await app.cleanup();
      },
    };
  } catch (err) {
    await app.cleanup();
    throw err;
  }
}
