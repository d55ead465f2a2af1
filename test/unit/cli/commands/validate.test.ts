import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { materializeCase } from '../../../support/config-fixture.ts';
import { ON_SANDBOX_INVENTORIES, REPO, slipway } from '../../../support/slipway-cli.ts';

describe('slipway validate', () => {
  it('exits 0 on the sample ops repository', async () => {
    const r = await slipway(['--repo', REPO, 'validate']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ok: 4 pipelines, 2 environments/);
  });

  it('exits 0 with the sandbox inventories swapped in', async () => {
    const r = await slipway([...ON_SANDBOX_INVENTORIES, 'validate']);
    expect(r.code).toBe(0);
  });

  it('exits 2 and prints file:line:col errors on a broken repository', async () => {
    const { root, cleanup } = materializeCase('needs-unknown-job');
    try {
      const r = await slipway(['--repo', root, 'validate']);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(
        'pipelines/app.yml:8:13: jobs.push.needs.0: unknown job "biuld"; did you mean "build"?\n',
      );
      const json = await slipway(['--repo', root, 'validate', '--json']);
      expect(json.code).toBe(2);
      expect(JSON.parse(json.stdout)).toEqual({
        ok: false,
        errors: [
          {
            file: 'pipelines/app.yml',
            line: 8,
            col: 13,
            key: 'jobs.push.needs.0',
            message: 'unknown job "biuld"',
            hint: 'did you mean "build"?',
          },
        ],
      });
    } finally {
      cleanup();
    }
  });

  it('exits 2 in a directory with no slipway.yml instead of "ok: 0 pipelines"', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'slipway-not-ops-'));
    try {
      const r = await slipway(['--repo', empty, 'validate']);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(
        `slipway.yml:1:1: expected an ops repository, got ${empty} with no slipway.yml`,
      );
      expect(r.stderr).toContain('pass --repo DIR');
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('refuses a private key without printing its material', async () => {
    const { root, cleanup } = materializeCase('private-key-in-keys');
    try {
      const r = await slipway(['--repo', root, 'validate']);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('PRIVATE KEY COMMITTED');
      expect(r.stderr + r.stdout).not.toContain('Tk9UIEEgUkVBTCBLRVkg');
    } finally {
      cleanup();
    }
  });

  it('refuses run steps, secret sources and an image the ops repository did not grant the app, at their file:line', async () => {
    const { root, cleanup } = materializeCase('app-environment-undeclared');
    const app = mkdtempSync(join(tmpdir(), 'slipway-app-'));
    try {
      writeFileSync(
        join(root, 'slipway.yml'),
        'environments: { dev: {} }\napps:\n  notes:\n    repository: acme/notes\n    url: /srv/git/notes.git\n' +
          '    environments: [dev]\n    secrets: [{ env: NOTES_REGISTRY_PASSWORD }]\n',
      );
      mkdirSync(join(app, '.slipway'));
      writeFileSync(
        join(app, '.slipway/pipeline.yml'),
        'name: notes\nsecrets:\n  registry: { env: NOTES_REGISTRY_PASSWORD }\n  token: { env: SLIPWAY_FORGE_TOKEN }\n' +
          'jobs:\n  test:\n    steps: [ { run: { command: ["true"] } } ]\nimage: registry.example.com/acme/base\n',
      );
      const r = await slipway(['--repo', root, 'validate', '--app', 'notes', '--app-dir', app]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(
        '.slipway/pipeline.yml:7:21: jobs.test.steps.0.run: expected no run step in the pipeline of app "notes" ' +
          '(apps.notes.run_steps is off), got a run step',
      );
      expect(r.stderr).toContain(
        '.slipway/pipeline.yml:4:10: secrets.token: expected a source registered for app "notes" ' +
          '(apps.notes.secrets: env NOTES_REGISTRY_PASSWORD), got env SLIPWAY_FORGE_TOKEN',
      );
      expect(r.stderr).not.toContain('secrets.registry');
      expect(r.stderr).toContain(
        '.slipway/pipeline.yml:8:8: image: expected the image repository registered for app "notes" ' +
          '(apps.notes.image: none), got registry.example.com/acme/base',
      );
    } finally {
      cleanup();
      rmSync(app, { recursive: true, force: true });
    }
  });

  it("checks an app repository's pipeline under the ops repository with --app, at its file:line", async () => {
    const { root, cleanup } = materializeCase('app-environment-undeclared');
    const app = mkdtempSync(join(tmpdir(), 'slipway-app-'));
    try {
      // The case's slipway.yml has errors of its own: register the app cleanly instead.
      writeFileSync(
        join(root, 'slipway.yml'),
        'environments: { dev: {}, prod: {} }\napps:\n  notes: { repository: acme/notes, url: /srv/git/notes.git, environments: [dev], run_steps: true }\n',
      );
      mkdirSync(join(app, '.slipway'));
      const pipeline = (env: string) =>
        `name: notes\njobs:\n  deploy:\n    environment: ${env}\n    steps: [ { run: { command: ["true"] } } ]\n`;
      writeFileSync(join(app, '.slipway/pipeline.yml'), pipeline('dev'));
      const ok = await slipway(['--repo', root, 'validate', '--app', 'notes', '--app-dir', app]);
      expect(ok.stderr).toBe('');
      expect(ok.stdout).toMatch(/^ok: 1 pipelines/);
      writeFileSync(join(app, '.slipway/pipeline.yml'), pipeline('prod'));
      const refused = await slipway(['--repo', root, 'validate', '--app', 'notes', '--app-dir', app]);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain(
        '.slipway/pipeline.yml:4:18: jobs.deploy.environment: app "notes" may not deploy to environment "prod"',
      );
      // It deploys only its own app: not the ops repository's web.
      writeFileSync(
        join(app, '.slipway/pipeline.yml'),
        pipeline('dev').replace('run: { command: ["true"] }', 'deploy: { app: web, compose: compose.yml }'),
      );
      // biome-ignore lint/suspicious/noTemplateCurlyInString: compose names the image as ${SLIPWAY_IMAGE}
      writeFileSync(join(app, 'compose.yml'), 'services:\n  web: { image: "${SLIPWAY_IMAGE}" }\n');
      const other = await slipway(['--repo', root, 'validate', '--app', 'notes', '--app-dir', app]);
      expect(other.code).toBe(2);
      expect(other.stderr).toContain(
        '.slipway/pipeline.yml:5:31: jobs.deploy.steps.0.deploy.app: expected app "notes" (its registered name), got "web"',
      );
      // The ops repository's sites may route to a registered app: no pipeline of its own deploys it.
      const sites = join(root, 'infra/sites.yml');
      writeFileSync(
        sites,
        readFileSync(sites, 'utf8').replace('proxy: { app: web }', 'proxy: { app: notes }'),
      );
      const ops = await slipway(['--repo', root, 'validate']);
      expect(ops.stderr).toBe('');
      expect(ops.code).toBe(0);
      const unknown = await slipway(['--repo', root, 'validate', '--app', 'wiki', '--app-dir', app]);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toContain('app "wiki" is not registered in slipway.yml on the default branch');
    } finally {
      cleanup();
      rmSync(app, { recursive: true, force: true });
    }
  });
});
