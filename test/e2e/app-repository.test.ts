// An app repository apart from the ops repository, end to end: two local bare repositories (ops, app), a real
// `slipway serve` process on a clone of the ops repository, a signed push webhook of the app; the app's own
// pipeline builds its image, pushes it to the sandbox registry and deploys it to the dev sandbox host under
// the ops repository's inventory, and the run records the app commit and the ops commit.
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/store.ts';
import { cleanHost } from '../support/app-deploy.ts';
import { createGitOrigin, type GitOrigin } from '../support/git-origin.ts';
import { REPO_ROOT, type SandboxFixture, useSandbox } from '../support/sandbox.ts';
import { type ServeProcess, spawnServe } from '../support/serve-fixture.ts';
import { waitFor } from '../support/wait-for.ts';
import { pushPayload } from '../support/webhook-payloads.ts';

const HOST = 'dev1';

/** The app repository's pipeline: build, push, deploy to dev (paths relative to the app repository). */
function appPipeline(registry: string, version = '2.0'): string {
  return [
    'name: notes',
    'on: { push: { branches: [main] } }',
    `image: ${registry}/acme/notes`,
    'registry: { username: slipway, password_secret: registry_password }',
    'secrets: { registry_password: { env: SLIPWAY_REGISTRY_PASSWORD } }',
    'jobs:',
    '  build:',
    `    steps: [ { build: { context: ., args: { BASE_IMAGE: "${registry}/sandbox/busybox:latest", VERSION: "${version}" } } } ]`,
    '  push: { needs: [build], steps: [ { push: {} } ] }',
    '  deploy-dev:',
    '    needs: [push]',
    '    environment: dev',
    '    steps: [ { deploy: { app: notes, compose: compose.yml, hosts: web, services: { web: healthy } } } ]',
    '',
  ].join('\n');
}

/** Files of a directory tree, path -> content, for a commit. */
async function filesOf(dir: string, prefix = ''): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) Object.assign(out, await filesOf(join(dir, e.name), rel));
    else out[rel] = await readFile(join(dir, e.name), 'utf8');
  }
  return out;
}

describe('an app repository apart from the ops repository', () => {
  let sb: SandboxFixture;
  let dir: string;
  let ops: GitOrigin;
  let app: GitOrigin;
  let serve: ServeProcess | undefined;
  let state: string;

  beforeAll(async () => {
    sb = await useSandbox({ name: 'appsrepo', hosts: [HOST] });
    await cleanHost(sb, HOST);
    dir = await mkdtemp(join(tmpdir(), 'slipway-app-repo-'));
    state = join(dir, 'state.db');
    ops = await createGitOrigin();
    app = await createGitOrigin();
    // The ops repository's dev inventory: the sandbox's, its key and registry files by absolute path.
    const inventory = join(dir, 'inventory');
    await cp(join(sb.inventoriesRoot, 'dev'), inventory, { recursive: true });
    const vars = join(inventory, 'group_vars', 'all.yml');
    const absolute = (await readFile(vars, 'utf8')).replace(
      /(^|[\s'=])\.slipway\/sandbox\//gm,
      `$1${join(REPO_ROOT, '.slipway/sandbox')}/`,
    );
    await writeFile(vars, absolute);
    const inventoryFiles = await filesOf(inventory, 'inventories/dev');
    await ops.commit({
      'slipway.yml': [
        'environments:',
        '  dev: { branches: [main] }',
        'apps:',
        '  notes:',
        '    repository: acme/notes',
        `    url: ${app.url}`,
        '    environments: [dev]',
        `    image: ${sb.registry.address}/acme/notes`,
        '    secrets: [{ env: SLIPWAY_REGISTRY_PASSWORD }]',
        '',
      ].join('\n'),
      ...inventoryFiles,
    });
    const checkout = join(dir, 'ops');
    await execa('git', ['clone', '--quiet', ops.url, checkout]);
    serve = await spawnServe({
      checkout,
      state,
      args: ['--repository', 'acme/ops'],
      env: { SLIPWAY_REGISTRY_PASSWORD: sb.registry.password },
    });
  });

  afterAll(async () => {
    await serve?.stop();
    if (sb) await cleanHost(sb, HOST).catch(() => undefined);
    await ops?.cleanup();
    await app?.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("a signed push of the app builds, pushes and deploys it to dev, recording the app's and the ops' commits", async () => {
    const sample = await filesOf(join(REPO_ROOT, 'apps/web'));
    const sha = await app.commit({ ...sample, '.slipway/pipeline.yml': appPipeline(sb.registry.address) });
    // A clone URL in the payload is never fetched from: the registered url is.
    const run = await pushed(sha, 'file:///nonexistent/evil.git');
    const opsHead = (await execa('git', ['ls-remote', ops.url, 'refs/heads/main'])).stdout.split('\t')[0];
    expect(run).toMatchObject({ pipeline: 'notes', pipelineFile: '.slipway/pipeline.yml', sha });
    expect(run.app).toMatchObject({ name: 'notes', opsSha: opsHead });
    // `slipway show` names both commits.
    const shown = await execa(
      join(REPO_ROOT, 'bin/slipway'),
      ['-C', join(dir, 'ops'), 'show', String(run.id)],
      {
        env: { ...process.env, SLIPWAY_STATE: state },
      },
    );
    expect(shown.stdout).toContain(`app notes ${sha.slice(0, 7)} (main) under ops ${opsHead!.slice(0, 7)}`);
    // The dev host runs the image built from the app commit, pulled from the sandbox registry.
    expect(await served()).toEqual({ revision: sha, version: 'web 2.0' });
  }, 400_000);

  it("`slipway rollback dev --app notes` goes back to the first release: an app run at that release's app commit", async () => {
    const first = await liveRelease();
    const sha = await app.commit({ '.slipway/pipeline.yml': appPipeline(sb.registry.address, '3.0') });
    await pushed(sha);
    expect(await served()).toEqual({ revision: sha, version: 'web 3.0' });
    expect((await liveRelease()).digest).not.toBe(first.digest);

    const rollback = await execa(
      join(REPO_ROOT, 'bin/slipway'),
      ['-C', join(dir, 'ops'), 'rollback', 'dev', '--app', 'notes'],
      {
        env: { ...process.env, SLIPWAY_STATE: state, SLIPWAY_REGISTRY_PASSWORD: sb.registry.password },
        reject: false,
      },
    );
    expect(rollback.exitCode, `${rollback.stdout}\n${rollback.stderr}`).toBe(0);
    expect(rollback.stderr).toContain(`rollback of notes in dev to release ${first.releaseId}`);
    // The first release's digest runs on the host again, and the run says whence it came.
    expect(await served()).toEqual({ revision: first.sha, version: 'web 2.0' });
    expect((await liveRelease()).digest).toBe(first.digest);
    const check = new Store(state);
    try {
      const run = check.runs.list()[0]!;
      expect(run).toMatchObject({
        sha: first.sha,
        pipelineFile: '.slipway/pipeline.yml',
        channel: 'cli',
        rollback: { releaseId: first.releaseId, digest: first.digest },
        app: { name: 'notes' },
      });
    } finally {
      check.close();
    }
  }, 500_000);

  /** Delivers a signed push of app commit `sha` (naming `cloneUrl`) and waits for its run to succeed. */
  async function pushed(sha: string, cloneUrl?: string) {
    const payload = pushPayload('github', { ref: 'refs/heads/main', after: sha });
    payload.repository.full_name = 'acme/notes';
    if (cloneUrl) payload.repository.clone_url = cloneUrl;
    expect((await serve!.deliver('github', 'push', payload)).status).toBe(202);
    const store = new Store(state);
    try {
      const run = await waitFor(
        `the run of app commit ${sha.slice(0, 12)} to finish`,
        () => {
          const r = store.runs.list()[0];
          return r && r.sha === sha && ['succeeded', 'failed', 'canceled'].includes(r.status) && r;
        },
        300_000,
      );
      expect(run.status, `${run.reason}\n${serve!.output()}`).toBe('succeeded');
      return run;
    } finally {
      store.close();
    }
  }

  /** The newest release of notes recorded in dev, with the app commit it was built from. */
  async function liveRelease(): Promise<{ releaseId: string; digest: string; sha: string }> {
    const store = new Store(state);
    try {
      const [live] = store.releases.list('dev', { limit: 10 }).filter((r) => r.app === 'notes');
      expect(live?.sha).toBeDefined();
      return { releaseId: live!.releaseId, digest: live!.digest, sha: live!.sha! };
    } finally {
      store.close();
    }
  }

  /** What the notes container on the dev host serves: the revision and version baked into its image. */
  async function served(): Promise<{ revision: string; version: string }> {
    const containers = (await sb.exec(HOST, ['docker', 'ps', '--format', '{{.Names}} {{.Image}}'])).split(
      '\n',
    );
    const name = containers.find((l) => l.includes(`${sb.registry.address}/acme/notes`))?.split(' ')[0];
    expect(name, containers.join('\n')).toBeDefined();
    const cat = async (file: string) => (await sb.exec(HOST, ['docker', 'exec', name!, 'cat', file])).trim();
    return { revision: await cat('/www/revision.txt'), version: await cat('/www/version.txt') };
  }
});
